from datetime import UTC, datetime

from django.test import SimpleTestCase

from newsroom.dates import long_date, long_datetime

WINTER_NIGHT = datetime(2024, 12, 23, 2, 17, tzinfo=UTC)  # 4:17 in București


class LongDatetimeTests(SimpleTestCase):
    def test_romanian_writes_day_and_month_in_lower_case(self):
        assert (
            long_datetime(WINTER_NIGHT, "ro", "Europe/Bucharest")
            == "luni, 23 decembrie 2024 - 4:17"
        )

    def test_english(self):
        assert (
            long_datetime(WINTER_NIGHT, "en", "Europe/Bucharest")
            == "Monday, 23 December 2024 - 4:17"
        )

    def test_date_only(self):
        assert long_date(WINTER_NIGHT, "ro", "Europe/Bucharest") == "luni, 23 decembrie 2024"
