"""The test harness itself: where no MariaDB answers, a throwaway mariadbd must start and stop."""

from tests.support.mariadb import Throwaway


def test_throwaway_mariadbd_starts_answers_and_cleans_up():
    server = Throwaway()
    try:
        cur = server.server.connect().cursor()
        cur.execute("SELECT VERSION()")
        assert "MariaDB" in cur.fetchone()[0]
    finally:
        server.stop()
    assert not server.dir.exists()
