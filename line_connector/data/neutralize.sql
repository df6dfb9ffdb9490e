-- a copied database must not talk to the production LINE channels
UPDATE line_channel
   SET channel_secret = NULL,
       access_token = NULL,
       checked_channel_secret = NULL,
       active = false;
