// The phone page: play a LINE user talking to an Official Account. Only the control API is used.
"use strict";

const API = "/_emulator";
const POLL_MS = 1000;
const $ = (id) => document.getElementById(id);
const state = { channels: [], users: [], channel: null, user: null, since: 0, stickers: [], cdn: "", atBottom: true };

async function call(method, path, body) {
  const options = { method, headers: {} };
  if (body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(data.error || response.statusText);
  }
  return data;
}

function say(text) { $("status").textContent = text || ""; }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([key, value]) => {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  });
  children.flat().forEach((child) => node.append(child instanceof Node ? child : document.createTextNode(child)));
  return node;
}

// -- channels and users -----------------------------------------------------------------------

async function loadChannels() {
  await listChannels();
  const wanted = new URLSearchParams(location.search).get("channel");
  if (wanted) $("channel").value = wanted;
  await selectChannel($("channel").value);
}

async function listChannels() {
  state.channels = await call("GET", "/channels");
  $("channel").replaceChildren(...state.channels.map((c) => el("option", { value: c.channel_id }, `${c.display_name} (${c.basic_id})`)));
}

async function selectChannel(channelId) {
  state.channel = state.channels.find((c) => c.channel_id === channelId) || null;
  if (!state.channel) { say("No channel yet: create one with the control API."); return; }
  $("bot-name").textContent = state.channel.display_name;
  $("bot-picture").src = state.channel.picture_url || `${API}/avatars/${state.channel.bot_user_id}.png`;
  const url = new URL(location.href);
  url.searchParams.set("channel", state.channel.channel_id);
  history.replaceState(null, "", url);
  await loadUsers(state.user && state.user.user_id, state.user);
}

async function loadUsers(keep, person) {
  state.users = await call("GET", `/users?channel_id=${encodeURIComponent(state.channel.channel_id)}`);
  if (person && person.provider_id !== state.channel.provider_id) {
    // The same person on an account of another provider: LINE knows them there under another user ID.
    const same = await call("POST", `/users/${encodeURIComponent(person.user_id)}/under/${encodeURIComponent(state.channel.provider_id)}`);
    keep = same.user_id;
    state.users = await call("GET", `/users?channel_id=${encodeURIComponent(state.channel.channel_id)}`);
  }
  const select = $("user");
  select.replaceChildren(...state.users.map((u) => el("option", { value: u.user_id }, u.display_name)));
  keep = keep || new URLSearchParams(location.search).get("user");
  if (keep && state.users.some((u) => u.user_id === keep)) select.value = keep;
  selectUser(select.value);
}

function selectUser(userId) {
  state.user = state.users.find((u) => u.user_id === userId) || null;
  state.since = 0;
  state.atBottom = true;
  // A reload comes back to the same user (and, with the scroll below, to their newest message).
  const url = new URL(location.href);
  if (state.user) url.searchParams.set("user", state.user.user_id);
  else url.searchParams.delete("user");
  history.replaceState(null, "", url);
  // The LINE app knows who is logged in: the account-link dialog (/dialog/bot/accountLink) reads it here.
  document.cookie = `line_emulator_user=${state.user ? state.user.user_id : ""}; path=/; SameSite=Lax`;
  $("messages").replaceChildren();
  quickReplyBar().hidden = true;
  // Render again on the next poll, even if the conversation has not changed since the last one.
  delete $("messages").dataset.signature;
  renderFriend();
  poll();
}

function renderFriend() {
  const friendState = state.user ? state.user.friend_state : "none";
  $("friend-state").textContent = state.user ? { none: "not a friend", friend: "friend", blocked: "blocked" }[friendState] : "";
  const button = $("friend-button");
  button.hidden = !state.user;
  button.textContent = friendState === "friend" ? "Block" : friendState === "blocked" ? "Unblock" : "Add friend";
  button.dataset.action = friendState === "friend" ? "unfollow" : "follow";
}

async function createUser(event) {
  event.preventDefault();
  if (!state.channel) return;
  const user = await call("POST", "/users", {
    provider_id: state.channel.provider_id, display_name: $("new-user-name").value, language: $("new-user-language").value,
  });
  $("new-user-name").value = "";
  await loadUsers(user.user_id);
}

// -- acting -----------------------------------------------------------------------------------------

async function act(action, body) {
  if (!state.channel || !state.user) { say("Pick or create a user first."); return null; }
  try {
    const path = `/channels/${state.channel.channel_id}/users/${state.user.user_id}/${action}`;
    const result = await call("POST", path, body instanceof FormData ? body : Object.assign({ sync: false }, body || {}));
    say("");
    await poll();
    return result;
  } catch (error) {
    say(error.message);
    return null;
  }
}

async function toggleFriend() {
  await act($("friend-button").dataset.action);
  await loadUsers(state.user.user_id);
}

async function sendText(event) {
  event.preventDefault();
  const text = $("text").value;
  if (!text) return;
  $("text").value = "";
  await act("text", { text });
}

function mediaKind(file) {
  const type = file.type || "";
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("video/")) return "video";
  if (type.startsWith("audio/")) return "audio";
  return "file";
}

async function sendFile() {
  const file = $("file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("sync", "false");
  const kind = mediaKind(file);
  if (kind === "video" || kind === "audio") form.append("duration", "5000");
  await act(kind, form);
  $("file").value = "";
}

async function sendLocation(event) {
  event.preventDefault();
  await act("location", {
    title: $("location-title").value, address: $("location-address").value,
    latitude: parseFloat($("location-latitude").value), longitude: parseFloat($("location-longitude").value),
  });
  $("location").hidden = true;
}

function stickerImage(sticker) {
  const label = el("span", { class: "label" }, sticker.label || `#${sticker.stickerId}`);
  const img = el("img", { src: state.cdn.replace("%s", sticker.stickerId), alt: sticker.label || "" });
  label.hidden = true;
  // No internet: LINE's CDN is unreachable, so the label stands in for the picture.
  img.addEventListener("error", () => { img.remove(); label.hidden = false; });
  return [img, label];
}

function renderStickers() {
  $("stickers").replaceChildren(...state.stickers.map((sticker) => el("button", {
    type: "button", title: sticker.keywords.join(", "), "data-sticker-id": sticker.stickerId,
    onclick: async () => {
      $("stickers").hidden = true;
      await act("sticker", { package_id: sticker.packageId, sticker_id: sticker.stickerId, keywords: sticker.keywords });
    },
  }, stickerImage(sticker))));
}

// -- the conversation -----------------------------------------------------------------------------------

const FRIEND_LINK = /^https:\/\/line\.me\/R\/ti\/p\/([^/?#\s]+)/;

function linkify(text) {
  const parts = String(text).split(/(https?:\/\/[^\s]+)/g);
  return parts.map((part, i) => (i % 2 ? link(part) : part));
}

function link(url) {
  const friend = url.match(FRIEND_LINK);
  if (!friend) return el("a", { href: url, target: "_blank", rel: "noopener" }, url);
  // An add-friend link (LINE's URL scheme): on a phone it opens that Official Account in LINE.
  return el("a", { href: url, class: "friend-link", "data-basic-id": decodeURIComponent(friend[1]), onclick: openFriendLink }, url);
}

async function openFriendLink(event) {
  event.preventDefault();
  const basicId = event.currentTarget.dataset.basicId;
  await listChannels();
  const target = state.channels.find((c) => c.basic_id === basicId);
  if (!target) { say(`No account ${basicId} in this emulator.`); return; }
  $("channel").value = target.channel_id;
  await selectChannel(target.channel_id);
}

function renderContent(entry) {
  const m = entry.message || {};
  const url = entry.direction === "user" ? m.url : m.originalContentUrl;
  switch (m.type) {
    case "text": case "textV2": return linkify(m.text);
    case "sticker": {
      const label = (state.stickers.find((s) => s.stickerId === m.stickerId) || {}).label;
      return el("span", { class: "sticker" }, stickerImage({ stickerId: m.stickerId, label: label || `[sticker ${m.stickerId}]` }));
    }
    case "image": return url ? el("a", { href: url, target: "_blank" }, el("img", { class: "media", src: m.previewImageUrl || url, alt: "image" })) : "[image]";
    case "video": return url ? el("a", { href: url, target: "_blank" }, "▶ video") : "[video]";
    case "audio": return url ? el("a", { href: url, target: "_blank" }, "♪ audio") : "[audio]";
    case "file": return url ? el("a", { href: url, target: "_blank" }, `📄 ${m.fileName}`) : `📄 ${m.fileName}`;
    case "location": return `📍 ${m.title || ""}\n${m.address || ""}\n(${m.latitude}, ${m.longitude})`;
    default: return `[${m.type}${m.altText ? ": " + m.altText : ""}]`;
  }
}

function renderEntry(entry) {
  if (entry.direction === "system") {
    return el("div", { class: "msg system" }, entry.text);
  }
  const node = el("div", {
    class: `msg ${entry.direction}` + (entry.unsent ? " unsent" : ""), "data-message-id": entry.message_id || "",
    "data-type": (entry.message || {}).type || "", "data-text": (entry.message || {}).text || "",
  });
  node.append(...[].concat(entry.unsent ? "message unsent" : renderContent(entry)));
  const meta = el("span", { class: "meta" }, new Date(entry.timestamp).toLocaleTimeString()
    + (entry.direction === "bot" ? ` · ${entry.kind}` : "") + (entry.read ? " · Read" : "") + (entry.edited ? " · edited" : ""));
  if (entry.direction === "user" && !entry.unsent) {
    meta.append(el("button", { type: "button", class: "unsend", onclick: () => act("unsend", { message_id: entry.message_id }) }, "Unsend"));
  }
  node.append(meta);
  return node;
}

// -- quick replies ---------------------------------------------------------------------------------

// LINE shows the quick-reply buttons of the newest message only, and only while it is the newest:
// they go once the person taps one (their message is then the newest) or another message arrives.
function quickReplyBar() {
  let bar = $("quick-replies");
  if (!bar) {
    bar = el("div", { id: "quick-replies", class: "quick-replies", role: "group", "aria-label": "Quick replies" });
    bar.hidden = true;
    $("messages").after(bar);
  }
  return bar;
}

function quickReplyButton(item) {
  const action = item.action || {};
  const button = el("button", { type: "button", class: "quick-reply", "data-action-type": action.type || "" },
    action.label || action.text || action.type || "");
  if (action.type === "message") {
    // A message action sends its text as the person's own message.
    button.addEventListener("click", () => act("text", { text: action.text }));
  } else if (action.type === "uri") {
    button.addEventListener("click", () => window.open(action.uri, "_blank", "noopener"));
  } else {
    button.disabled = true;
    button.title = `${action.type} actions are not played by the emulator's phone`;
  }
  return button;
}

function renderQuickReplies(entries) {
  const newest = entries.filter((entry) => entry.direction !== "system").pop();
  const items = (newest && newest.direction === "bot" && !newest.unsent
    && ((newest.message || {}).quickReply || {}).items) || [];
  const bar = quickReplyBar();
  bar.replaceChildren(...items.map(quickReplyButton));
  bar.hidden = !items.length;
}

function scrollToNewest() {
  const box = $("messages");
  box.scrollTop = box.scrollHeight;
  state.atBottom = true;
}

let polling = false;
async function poll() {
  if (polling || !state.channel || !state.user) return;
  polling = true;
  try {
    const channelId = state.channel.channel_id;
    const userId = state.user.user_id;
    const entries = await call("GET", `/channels/${channelId}/chats/${userId}?since=0`);
    if (state.channel && state.user && state.channel.channel_id === channelId && state.user.user_id === userId) {
      const box = $("messages");
      const last = entries.length ? entries[entries.length - 1].seq : 0;
      const signature = JSON.stringify(entries.map((e) => [e.seq, e.unsent, e.read, e.edited]));
      if (signature !== box.dataset.signature) {
        box.replaceChildren(...entries.map(renderEntry));
        renderQuickReplies(entries);
        box.dataset.signature = signature;
        if (state.atBottom || last > state.since) scrollToNewest();
      }
      state.since = last;
    }
  } catch (error) {
    say(error.message);
  } finally {
    polling = false;
  }
}

async function start() {
  const info = await call("GET", "");
  state.stickers = info.stickers;
  state.cdn = info.sticker_cdn;
  renderStickers();
  $("channel").addEventListener("change", (e) => selectChannel(e.target.value));
  $("user").addEventListener("change", (e) => selectUser(e.target.value));
  $("new-user").addEventListener("submit", createUser);
  $("friend-button").addEventListener("click", toggleFriend);
  $("composer").addEventListener("submit", sendText);
  $("sticker-button").addEventListener("click", () => { $("stickers").hidden = !$("stickers").hidden; });
  $("attach-button").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", sendFile);
  $("location-button").addEventListener("click", () => { $("location").hidden = !$("location").hidden; });
  $("location").addEventListener("submit", sendLocation);
  const box = $("messages");
  box.addEventListener("scroll", () => {
    state.atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  });
  // Pictures and stickers arrive after the bubbles: keep the newest message in view as they grow.
  const settle = () => { if (state.atBottom) box.scrollTop = box.scrollHeight; };
  box.addEventListener("load", settle, true);
  box.addEventListener("error", settle, true);
  await loadChannels();
  setInterval(poll, POLL_MS);
  document.body.dataset.ready = "1";
}

start().catch((error) => say(error.message));
