#!/usr/bin/env python3
"""docs_check.py ROOT - the rules every page of README.md and docs/ keeps.

Prints one "FAIL FILE:LINE: what" line per problem and "docs_check: N
files, N blocks, N links, N problems"; exits 1 when there is a problem, 2
when ROOT has no README.md.

- README.md has at most 300 lines (it is the front door; the rest is in
  docs/).
- Every fenced block has a language label (```sh, ```text, ...).
- Every sh block (sh, bash, shell, console) is run by a test or says why
  not: it sits between <!-- NAME:begin --> and <!-- NAME:end --> where a
  suite in tests/integration/ registers NAME for that file with a
  "t_walkthrough NAME [MODE] [FILE]" line (FILE defaults to README.md), or
  the line before it (blank lines aside) is <!-- not-run: REASON --> with
  a reason, or a suite says it runs every sh block of the page with a
  line "# docs: runs every sh block of FILE" (and does).
- Every relative link resolves: the file or directory exists, and an
  #anchor names a heading of the target page (GitHub's slugs).
"""
import os
import re
import sys

SH = {"sh", "bash", "shell", "console"}
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EVERY = re.compile(r"^#\s*docs: runs every sh block of (\S+)\s*$")
REGISTER = re.compile(
    r"^\s*(?:\w+=\S*\s+)*t_walkthrough\s+([A-Za-z0-9_-]+)(?:\s+(?:\"\"|''|commands))?(?:\s+(\S+))?")


def slug(text):
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"<[^>]+>", "", text)
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def pages(root):
    out = []
    if os.path.isfile(os.path.join(root, "README.md")):
        out.append("README.md")
    d = os.path.join(root, "docs")
    if os.path.isdir(d):
        for n in sorted(os.listdir(d)):
            if n.endswith(".md"):
                out.append("docs/" + n)
    return out


def registered(root):
    """{(page, NAME)} for every t_walkthrough call in tests/integration/."""
    reg = set()
    d = os.path.join(root, "tests", "integration")
    if not os.path.isdir(d):
        return reg
    for n in sorted(os.listdir(d)):
        if not n.endswith(".sh"):
            continue
        with open(os.path.join(d, n), encoding="utf-8", errors="replace") as f:
            for line in f:
                m = EVERY.match(line)
                if m:
                    reg.add((m.group(1), "*"))
                    continue
                m = REGISTER.match(line)
                if m:
                    page = m.group(2) or "README.md"
                    page = page.strip("\"'").replace("$T_ROOT/", "")
                    reg.add((page, m.group(1)))
    return reg


def anchors_of(path, cache):
    if path not in cache:
        found, seen, infence = set(), {}, None
        with open(path, encoding="utf-8") as f:
            for line in f:
                fm = FENCE.match(line)
                if fm:
                    if infence is None:
                        infence = fm.group(2)[0]
                    elif fm.group(2)[0] == infence and not fm.group(3).strip():
                        infence = None
                    continue
                if infence is None:
                    m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
                    if m:
                        s = slug(m.group(1))
                        n = seen.get(s, 0)
                        seen[s] = n + 1
                        found.add(s if n == 0 else "%s-%d" % (s, n))
                for a in re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", line):
                    found.add(a)
        cache[path] = found
    return cache[path]


def check(root):
    problems = []
    nblocks = nlinks = 0
    reg = registered(root)
    cache = {}

    def fail(page, lineno, what):
        problems.append("FAIL %s:%d: %s" % (page, lineno, what))

    plist = pages(root)
    if "README.md" not in plist:
        print("docs_check: no README.md in %s" % root)
        return 2
    for page in plist:
        path = os.path.join(root, page)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if page == "README.md" and len(lines) > 300:
            fail(page, len(lines), "README.md has %d lines, at most 300" % len(lines))
        infence = None
        open_markers = []   # NAMEs of <!-- NAME:begin --> not yet ended
        for i, line in enumerate(lines, 1):
            fm = FENCE.match(line)
            if infence is not None:
                if fm and fm.group(2)[0] == infence[0] and \
                        len(fm.group(2)) >= len(infence) and not fm.group(3).strip():
                    infence = None
                continue
            if fm:
                infence = fm.group(2)
                nblocks += 1
                label = fm.group(3).strip().split()
                label = label[0].lower() if label else ""
                if not label:
                    fail(page, i, "a fenced block without a language label")
                elif label in SH:
                    ok = (page, "*") in reg or \
                        any((page, n) in reg for n in open_markers)
                    if not ok:
                        j = i - 2
                        while j >= 0 and not lines[j].strip():
                            j -= 1
                        m = re.match(r"^\s*<!--\s*not-run:\s*(\S.*?)\s*-->\s*$",
                                     lines[j]) if j >= 0 else None
                        ok = m is not None
                    if not ok:
                        why = ("inside <!-- %s:begin -->, which no suite registers "
                               "for %s" % (open_markers[-1], page)) if open_markers \
                            else "not between the markers of a block a suite runs"
                        fail(page, i, "an sh block no test runs and no "
                             "<!-- not-run: REASON --> before it (%s)" % why)
                continue
            m = re.match(r"^\s*<!--\s*([A-Za-z0-9_-]+):(begin|end)\s*-->\s*$", line)
            if m:
                if m.group(2) == "begin":
                    open_markers.append(m.group(1))
                elif m.group(1) in open_markers:
                    open_markers.remove(m.group(1))
                else:
                    fail(page, i, "<!-- %s:end --> without its begin" % m.group(1))
                continue
            # links, outside inline code
            text = re.sub(r"`[^`]*`", "", line)
            for target in LINK.findall(text):
                if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                    continue   # http:, https:, mailto:
                nlinks += 1
                file_part, _, anchor = target.partition("#")
                if file_part:
                    dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part))
                    if not os.path.exists(dest):
                        fail(page, i, "link to %s: no such file" % target)
                        continue
                else:
                    dest = path
                if anchor:
                    if not dest.endswith(".md") or os.path.isdir(dest):
                        fail(page, i, "link to %s: an anchor into a non-page" % target)
                    elif anchor not in anchors_of(dest, cache):
                        fail(page, i, "link to %s: no heading with that anchor" % target)
        if infence is not None:
            fail(page, len(lines), "a fenced block that is never closed")
        for n in open_markers:
            fail(page, len(lines), "<!-- %s:begin --> without its end" % n)
    for p in problems:
        print(p)
    print("docs_check: %d files, %d blocks, %d links, %d problems"
          % (len(plist), nblocks, nlinks, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(check(sys.argv[1] if len(sys.argv) > 1 else "."))
