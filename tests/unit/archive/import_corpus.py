"""Small list archives for the import and export tests: threads, HTML, reports, odd cases."""

from __future__ import annotations

import random
import re


def letter(n: int, parent: int | None = None, references: tuple[int, ...] = (), **extra) -> bytes:
    """A small message; every seventh in HTML, every eleventh with a report attached."""
    headers = [f"From: Person {n % 5} <p{n % 5}@ngo{n % 3}.example>", f"Subject: Topic {n}"]
    headers.append(f"Date: Sat, {1 + n % 28:02d} Jun 2024 10:{n % 60:02d}:00 +0000")
    if extra.get("message_id", True):
        headers.append(f"Message-ID: <m{n}@ngo.example>")
    if parent is not None:
        headers.append(f"In-Reply-To: <m{parent}@ngo.example>")
    if references:
        headers.append("References: " + " ".join(f"<m{r}@ngo.example>" for r in references))
    body = f"Cities open one-stop shops for migrants, says number {n}.\nFrom the start it helped.\n"
    if n % 11 == 3:
        return _with_report(headers, body, n)
    if n % 7 == 2:
        headers += ["Content-Type: text/html; charset=utf-8"]
        body = f"<p>Une <b>pratique</b> prometteuse {n}</p><script>x()</script>"
    return ("\n".join(headers) + "\n\n" + body).encode()


def _with_report(headers: list[str], body: str, n: int) -> bytes:
    headers += ['Content-Type: multipart/mixed; boundary="b"', "MIME-Version: 1.0"]
    parts = [
        "--b\nContent-Type: text/plain\n\n" + body,
        f'--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="r{n % 2}.pdf"'
        f"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK{n % 2}A==\n",
        "--b--\n",
    ]
    return ("\n".join(headers) + "\n\n" + "\n".join(parts)).encode()


def corpus(seed: int, count: int = 60) -> list[bytes]:
    """Threads several deep, in an order where some replies come before what they answer, with a
    duplicate, a message without a Message-ID, a reply known only by References, and a loop."""
    rng = random.Random(seed)
    letters = []
    for n in range(count):
        parent = rng.randrange(n) if n and rng.random() < 0.6 else None
        chain = (rng.randrange(n), parent) if parent is not None and rng.random() < 0.3 else ()
        letters.append(letter(n, parent, tuple(c for c in chain if c is not None)))
    letters.append(letter(count, references=(3, 5)))  # References only
    letters.append(letter(count + 1, parent=count + 2))  # a loop: each answers the other
    letters.append(letter(count + 2, parent=count + 1))
    letters.append(letter(count + 3, message_id=False))
    order = list(range(len(letters)))
    for _ in range(count // 4):  # some replies move ahead of their parents
        i, j = rng.randrange(len(order)), rng.randrange(len(order))
        order[i], order[j] = order[j], order[i]
    return [letters[i] for i in order] + [letters[order[0]]]  # and one duplicate at the end


def mbox_file(path, letters: list[bytes]):
    """An mboxrd file, as Mailman and hubmail's own mbox downloads write it ("From " lines quoted)."""
    with open(path, "wb") as out:
        for raw in letters:
            quoted = re.sub(rb"(?m)^(>*From )", rb">\1", raw)
            out.write(b"From someone@example Sat Jun  1 10:00:00 2024\n" + quoted + b"\n\n")
    return path
