"""Remembered values: kept until a key is bumped, including the keys only the value can name."""

from unittest import mock

from django.core.cache import cache
from django.test import TestCase

from newsroom.pagecache import bump, pages, remembered, values


class LearntKeysTests(TestCase):
    def setUp(self):
        cache.clear()
        self.computed = 0
        self.names = ["story-author:1"]

    def compute(self) -> int:
        self.computed += 1
        return self.computed

    def value(self) -> int:
        return remembered(
            "learnt-test", ["story:1"], self.compute, timeless=True, learnt=lambda _: self.names
        )

    def test_kept_until_a_key_it_named_is_bumped(self):
        with mock.patch.object(pages, "SETTLE_NS", 0):
            assert self.value() == 1
            assert self.value() == 1
            bump("story-author:1")
            assert self.value() == 2
            assert self.value() == 2
            bump("story:1")
            assert self.value() == 3

    def test_the_keys_it_names_are_its_own_each_time(self):
        with mock.patch.object(pages, "SETTLE_NS", 0):
            assert self.value() == 1
            bump("story-author:1")
            self.names = ["story-author:2"]
            assert self.value() == 2
            bump("story-author:1")  # no longer named: the value stays
            assert self.value() == 2
            bump("story-author:2")
            assert self.value() == 3

    def test_computed_just_after_a_change_to_a_key_it_names_is_used_once(self):
        # The rows read may predate the change's commit: not kept, as a page is not stored.
        bump("story-author:1")
        assert self.value() == 1
        assert self.value() == 2
        with mock.patch.object(pages, "SETTLE_NS", 0):
            assert self.value() == 3
            assert self.value() == 3


class LocalCopiesTests(TestCase):
    def test_bounded_by_size_least_recently_used_dropped_first(self):
        local = values.LocalValues(max_bytes=3000)
        for name in ("a", "b", "c"):
            local.put(name, ("x" * 700, None, {}))
        assert local.get("a") is not None  # now the most recently used
        local.put("d", ("x" * 700, None, {}))
        assert local.get("b") is None
        assert local.get("a") is not None and local.get("d") is not None
        assert local.size <= 3000

    def test_a_value_larger_than_the_bound_is_not_kept(self):
        local = values.LocalValues(max_bytes=1000)
        local.put("big", ("x" * 5000, None, {}))
        assert local.get("big") is None and local.size == 0
