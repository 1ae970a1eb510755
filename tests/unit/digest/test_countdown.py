"""The countdown (issue 16): how long until the space's next change, on its page and in digests,
in the reader's language."""

from __future__ import annotations

import datetime as dt

from starlette.testclient import TestClient

from archive.record.mailing import Mailing
from archive.record.spaces import space_row
from archive.web.app import archive_app
from config.calendar import countdown
from config.database import session_scope, utcnow
from digest import roster
from digest.delivery import send_digests
from gateway.hub import open_hub
from tests.configs import make_settings, phases
from tests.moderation_helpers import body, outbox
from tests.unit.digest.test_announcements import publish

DAY = dt.timedelta(days=1)


def test_the_next_change_in_each_state(tmp_path):
    now = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    calendar = phases(('"One"', now + DAY, now + 5 * DAY, [1]), ('"Two"', now + 8 * DAY, now + 12 * DAY, [2]))
    space = make_settings(tmp_path, dates=calendar).space("unece-review")
    assert (countdown(space, now).change, countdown(space, now).at) == ("opens", now + DAY)
    assert countdown(space, now + 2 * DAY).change == "phase_closes"
    assert countdown(space, now + 6 * DAY).at == now + 8 * DAY  # next phase opens
    assert countdown(space, now + 9 * DAY).change == "closes"  # the last phase ends with the space
    assert countdown(space, now + 13 * DAY) is None


def test_the_space_page_says_how_long_is_left_in_the_readers_language(tmp_path):
    now = utcnow()  # the page reads the real clock
    calendar = phases(('"One"', now - DAY, now + 3 * DAY + dt.timedelta(hours=1), [1]),
                      ('"Two"', now + 5 * DAY, now + 9 * DAY, [2]))  # fmt: skip
    hub = open_hub(make_settings(tmp_path, dates=calendar))
    client = TestClient(archive_app(hub.settings, hub.engine))
    assert "This phase closes in 3 days" in client.get("/unece-review/?lang=en").text
    assert "dans 3 jours" in client.get("/unece-review/?lang=fr").text
    assert "через 3 дня" in client.get("/unece-review/?lang=ru").text


def test_a_digest_says_when_the_next_phase_opens(tmp_path):
    now = dt.datetime(2024, 3, 6, 9, tzinfo=dt.UTC)
    calendar = phases(('"One"', now - 5 * DAY, now - DAY, [1]), ('"Two"', now + 2 * DAY, now + 9 * DAY, [2]))
    hub = open_hub(make_settings(tmp_path, dates=calendar))
    with session_scope(hub.engine) as session:
        roster.add(session, space_row(session, "unece-review"), "bo@org.example", now=now - 4 * DAY)
    publish(hub, now - 3 * DAY)
    with session_scope(hub.engine) as session:
        assert send_digests(Mailing.at(hub.settings, now), session, "weekly") == 1
    [digest] = outbox(hub, "digest")
    assert "Next phase opens in 2 days" in body(digest.raw)
