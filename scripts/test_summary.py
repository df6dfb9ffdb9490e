"""Print one summary of the pure (pytest) and Odoo test runs, and exit non-zero on any failure.

Usage: test_summary.py PYTEST_JUNIT_XML[,MORE] ODOO_LOG PYTEST_RC ODOO_RC
"""

import re
import sys
import xml.etree.ElementTree as ET

ODOO_REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
ODOO_SKIP = re.compile(r" INFO \S+ odoo\.addons\.\S+: skipped ", re.MULTILINE)


def pytest_counts(junit_paths):
    """(run, failed, skipped) over pytest's JUnit reports; None when one of them is missing."""
    total = failed = skipped = 0
    for junit_path in junit_paths.split(","):
        try:
            root = ET.parse(junit_path).getroot()
        except (OSError, ET.ParseError):
            return None
        for suite in [root] if root.tag == "testsuite" else list(root):
            total += int(suite.get("tests", 0))
            failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skipped += int(suite.get("skipped", 0))
    return total, failed, skipped


def odoo_counts(log_path):
    with open(log_path, encoding="utf-8", errors="replace") as log:
        text = log.read()
    reports = ODOO_REPORT.findall(text)
    if not reports:
        return None
    failed, errors, total = (int(n) for n in reports[-1])
    # Odoo logs each skipped test ("skipped <test> : <reason>"), e.g. a browser test without Chromium.
    skipped = len(ODOO_SKIP.findall(text))
    return total, failed + errors, skipped


def main(junit_path, log_path, pytest_rc, odoo_rc):
    problems = []
    pure = pytest_counts(junit_path)
    if pure is None:
        problems.append("the pure tests did not all run (a pytest report is missing)")
        pure = (0, 0, 0)
    odoo = odoo_counts(log_path)
    if odoo is None:
        problems.append(f"the Odoo tests did not run or did not finish: see {log_path}")
        odoo = (0, 0, 0)
    elif odoo[0] == 0:
        problems.append("Odoo ran no line_connector test")
    if int(pytest_rc) not in (0,) and pure[1] == 0:
        problems.append(f"pytest exited with {pytest_rc}")
    if int(odoo_rc) != 0 and odoo[1] == 0:
        problems.append(f"Odoo exited with {odoo_rc} (module install or test run failed: see {log_path})")

    passed = (pure[0] - pure[1] - pure[2]) + (odoo[0] - odoo[1] - odoo[2])
    failed = pure[1] + odoo[1] + (1 if problems and not (pure[1] or odoo[1]) else 0)
    print()
    print(f"pure tests (pytest): {pure[0]} run, {pure[1]} failed, {pure[2]} skipped")
    print(f"Odoo tests:          {odoo[0]} run, {odoo[1]} failed, {odoo[2]} skipped")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(f"{passed} passed, {failed} failed, {pure[2] + odoo[2]} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
