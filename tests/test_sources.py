"""The sources file: what loads, what is inherited, and the one-line report on each mistake."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from listing_archiver.scraper.fetch import FetchSettings
from listing_archiver.sources import ConfigError, Source, load_sources

EXAMPLE = """\
delay = 1.0                      # defaults for every source
[[source]]
name = "veritable"
url = "https://blog.ceshine.net/"
profile = "papermod"             # optional: detected when absent
max_pages = 50                   # optional
delay = 2.0                      # optional override
"""

ONE = '[[source]]\nurl = "https://blog.example.org/"\n'


def write(tmp_path, text, name="sources.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problem(path):
    """The message of the ConfigError that loading ``path`` raises."""
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    return str(info.value)


# --- what loads ----------------------------------------------------------------------------


def test_the_example_file_loads_to_one_source_with_its_own_settings(tmp_path):
    assert load_sources(write(tmp_path, EXAMPLE)) == [
        Source(
            name="veritable",
            url="https://blog.ceshine.net/",
            profile="papermod",
            max_pages=50,
            delay=2.0,
        )
    ]


def test_a_source_with_only_a_url_gets_the_tool_defaults(tmp_path):
    [source] = load_sources(write(tmp_path, ONE))
    assert source == Source(name="blog.example.org", url="https://blog.example.org/")
    assert source.delay == FetchSettings().delay
    assert (source.profile, source.max_pages, source.user_agent, source.timeout) == (None,) * 4


def test_top_level_defaults_apply_to_every_source_unless_overridden(tmp_path):
    text = textwrap.dedent(
        """\
        delay = 3
        max_pages = 7
        profile = "papermod"
        user_agent = "archiver-bot/1"
        timeout = 30

        [[source]]
        url = "https://one.example/"

        [[source]]
        url = "https://two.example/"
        delay = 0
        max_pages = 2
        user_agent = "other-bot/2"
        timeout = 5.5
        """
    )
    one, two = load_sources(write(tmp_path, text))
    assert one == Source(
        name="one.example",
        url="https://one.example/",
        profile="papermod",
        max_pages=7,
        delay=3.0,
        user_agent="archiver-bot/1",
        timeout=30.0,
    )
    assert two == Source(
        name="two.example",
        url="https://two.example/",
        profile="papermod",
        max_pages=2,
        delay=0.0,
        user_agent="other-bot/2",
        timeout=5.5,
    )


def test_whole_numbers_are_accepted_for_delay_and_timeout_as_floats(tmp_path):
    [source] = load_sources(write(tmp_path, ONE + "delay = 2\ntimeout = 10\n"))
    assert (source.delay, source.timeout) == (2.0, 10.0)
    assert type(source.delay) is float
    assert type(source.timeout) is float


def test_name_defaults_to_the_url_host_including_any_port(tmp_path):
    path = write(
        tmp_path,
        '[[source]]\nurl = "https://blog.example.org/posts/"\n'
        '[[source]]\nurl = "http://localhost:8080/"\n',
    )
    assert [s.name for s in load_sources(path)] == ["blog.example.org", "localhost:8080"]


def test_sources_come_back_in_file_order(tmp_path):
    text = "".join(f'[[source]]\nurl = "https://s{i}.example/"\n' for i in (3, 1, 2))
    assert [s.name for s in load_sources(write(tmp_path, text))] == [
        "s3.example",
        "s1.example",
        "s2.example",
    ]


def test_a_byte_order_mark_at_the_start_is_tolerated(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_bytes(b"\xef\xbb\xbf" + ONE.encode())
    assert [s.name for s in load_sources(path)] == ["blog.example.org"]


def test_source_is_frozen():
    source = Source(name="a", url="https://a.example/")
    with pytest.raises(dataclasses.FrozenInstanceError):
        source.name = "b"


# --- unknown and missing keys --------------------------------------------------------------


def test_unknown_source_key_is_reported_with_the_closest_known_key(tmp_path):
    path = write(tmp_path, '[[source]]\nname = "blog.example.org"\nurll = "https://x.example/"\n')
    assert problem(path) == (
        f"{path}: source #1 (\"blog.example.org\"): unknown key 'urll' (did you mean 'url'?)"
    )


def test_unknown_top_level_key_is_reported_with_the_closest_known_key(tmp_path):
    path = write(tmp_path, "dealy = 1\n" + ONE)
    assert problem(path) == f"{path}: top level: unknown key 'dealy' (did you mean 'delay'?)"


def test_unknown_key_with_nothing_close_gets_no_suggestion(tmp_path):
    path = write(tmp_path, ONE + "colour = 'blue'\n")
    assert problem(path) == f"{path}: source #1 (\"blog.example.org\"): unknown key 'colour'"


def test_a_per_source_key_at_the_top_level_says_where_it_belongs(tmp_path):
    path = write(tmp_path, 'url = "https://x.example/"\n' + ONE)
    assert problem(path) == (
        f"{path}: top level: unknown key 'url' (it belongs inside a [[source]] table)"
    )


def test_missing_url_names_the_source_by_position(tmp_path):
    path = write(tmp_path, ONE.replace("blog", "a") + ONE + '[[source]]\nprofile = "papermod"\n')
    assert problem(path) == f"{path}: source #3: missing required key 'url'"


def test_missing_url_names_the_source_by_name_when_it_has_one(tmp_path):
    path = write(tmp_path, '[[source]]\nname = "veritable"\n')
    assert problem(path) == f"{path}: source #1 (\"veritable\"): missing required key 'url'"


# --- wrong values --------------------------------------------------------------------------


def test_max_pages_that_is_not_a_number_is_reported_with_the_source_name(tmp_path):
    second = '[[source]]\nname = "veritable"\nurl = "https://b.example/"\nmax_pages = "ten"\n'
    path = write(tmp_path, ONE + second)
    assert problem(path) == (
        f"{path}: source #2 (\"veritable\"): max_pages: expected a whole number >= 1, got 'ten'"
    )


@pytest.mark.parametrize("value", ["0", "-3", "2.5", "true"])
def test_max_pages_must_be_a_whole_number_of_at_least_one(tmp_path, value):
    path = write(tmp_path, ONE + f"max_pages = {value}\n")
    assert problem(path) == (
        f'{path}: source #1 ("blog.example.org"): max_pages: '
        f"expected a whole number >= 1, got {value}"
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("max_pages", "a whole number >= 1"),
        ("delay", "a number >= 0"),
        ("timeout", "a number > 0"),
    ],
)
def test_a_boolean_is_not_accepted_as_a_number(tmp_path, key, expected):
    path = write(tmp_path, ONE + f"{key} = true\n")
    assert problem(path) == (
        f'{path}: source #1 ("blog.example.org"): {key}: expected {expected}, got true'
    )


def test_a_boolean_top_level_default_is_rejected_too(tmp_path):
    path = write(tmp_path, "delay = false\n" + ONE)
    assert problem(path) == f"{path}: top level: delay: expected a number >= 0, got false"


def test_negative_top_level_delay_is_reported_at_the_top_level(tmp_path):
    path = write(tmp_path, "delay = -1\n" + ONE)
    assert problem(path) == f"{path}: top level: delay: expected a number >= 0, got -1"


@pytest.mark.parametrize("value", ["-0.5", "'fast'", "inf", "nan"])
def test_delay_must_be_a_finite_number_of_at_least_zero(tmp_path, value):
    path = write(tmp_path, ONE + f"delay = {value}\n")
    assert problem(path).startswith(
        f'{path}: source #1 ("blog.example.org"): delay: expected a number >= 0, got '
    )


@pytest.mark.parametrize("value", ["0", "-1", "inf", "'30s'"])
def test_timeout_must_be_a_finite_number_above_zero(tmp_path, value):
    path = write(tmp_path, ONE + f"timeout = {value}\n")
    assert problem(path).startswith(
        f'{path}: source #1 ("blog.example.org"): timeout: expected a number > 0, got '
    )


@pytest.mark.parametrize("value", ['""', '"   "', "5"])
def test_name_must_be_a_non_empty_string(tmp_path, value):
    path = write(tmp_path, f"[[source]]\nname = {value}\nurl = 'https://a.example/'\n")
    assert problem(path).startswith(f"{path}: source #1: name: expected a non-empty string, got ")


@pytest.mark.parametrize("value", ['""', "[]"])
def test_user_agent_must_be_a_non_empty_string(tmp_path, value):
    path = write(tmp_path, ONE + f"user_agent = {value}\n")
    assert problem(path).startswith(
        f'{path}: source #1 ("blog.example.org"): user_agent: expected a non-empty string, got '
    )


def test_unknown_profile_names_the_known_profiles_and_the_closest(tmp_path):
    path = write(tmp_path, ONE + 'profile = "papermd"\n')
    message = problem(path)
    assert message.startswith(
        f'{path}: source #1 ("blog.example.org"): profile: expected one of the known profiles ('
    )
    assert "'papermod'" in message and "'wordpress'" in message
    assert message.endswith("got 'papermd'; did you mean 'papermod'?")


def test_unknown_top_level_profile_says_it_can_be_left_out(tmp_path):
    path = write(tmp_path, 'profile = "typo-free-but-unknown"\n' + ONE)
    message = problem(path)
    assert message.startswith(f"{path}: top level: profile: expected one of the known profiles")
    assert message.endswith("got 'typo-free-but-unknown'; leave it out to detect the profile")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://files.example/", "the scheme must be http or https, as in https://example.org/"),
        ("https:///no-host", "no host"),
        ("blog.example.org", "the scheme must be http or https, as in https://example.org/"),
        ("http://[::1/", "an unclosed [ or a stray ] in the host"),
        (" https://a.example/", "it starts or ends with a space"),
        ("http://127.0.0.1:99999/", "the port 99999 is not between 1 and 65535"),
        ("http://127.0.0.1:abc/", "the port 'abc' is not a number"),
        ("http://exa mple.org/", "the host 'exa mple.org' holds ' ', which no host name can"),
    ],
)
def test_url_must_be_a_valid_http_or_https_url(tmp_path, url, message):
    path = write(tmp_path, f'[[source]]\nurl = "{url}"\n')
    assert problem(path) == (
        f"{path}: source #1: url: {url!r} is not a valid http(s) URL: {message}"
    )


def test_url_that_is_not_a_string_is_reported(tmp_path):
    path = write(tmp_path, '[[source]]\nname = "x"\nurl = 42\n')
    assert problem(path) == (
        f'{path}: source #1 ("x"): url: expected an http(s) URL string, got 42'
    )


def test_two_sources_with_the_same_name_are_reported_with_both_positions(tmp_path):
    text = (
        '[[source]]\nname = "blog"\nurl = "https://a.example/"\n'
        + ONE
        + '[[source]]\nname = "blog"\nurl = "https://b.example/"\n'
    )
    path = write(tmp_path, text)
    assert problem(path) == (
        f"{path}: source #3 (\"blog\"): name: 'blog' is already used by source #1; "
        "give each source a distinct name"
    )


def test_two_unnamed_sources_on_one_host_clash_on_their_default_name(tmp_path):
    path = write(tmp_path, ONE + '[[source]]\nurl = "https://blog.example.org/tags/"\n')
    assert problem(path).startswith(
        f"{path}: source #2 (\"blog.example.org\"): name: 'blog.example.org' is already used "
        "by source #1"
    )


def test_the_first_problem_in_the_file_is_the_one_reported(tmp_path):
    path = write(tmp_path, ONE + "max_pages = 0\n" + '[[source]]\nurll = "x"\n')
    assert problem(path) == (
        f'{path}: source #1 ("blog.example.org"): max_pages: expected a whole number >= 1, got 0'
    )


def test_a_name_with_quotes_and_a_line_break_keeps_the_message_on_one_line(tmp_path):
    path = write(tmp_path, '[[source]]\nname = "say \\"hi\\"\\nthere"\nurl = 7\n')
    message = problem(path)
    assert "\n" not in message
    assert message == (
        f'{path}: source #1 ("say \\"hi\\"\\nthere"): url: expected an http(s) URL string, got 7'
    )


# --- the shape of the file -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["delay = 1\n", "source = []\n", ""])
def test_a_file_without_sources_is_an_error(tmp_path, text):
    path = write(tmp_path, text)
    assert problem(path) == f"{path}: no sources: add at least one [[source]] table with a url"


def test_a_single_source_table_instead_of_an_array_is_an_error(tmp_path):
    path = write(tmp_path, '[source]\nurl = "https://a.example/"\n')
    assert problem(path) == (
        f"{path}: top level: source: expected an array of tables [[source]], got [source]"
    )


def test_source_that_is_a_plain_value_is_an_error(tmp_path):
    path = write(tmp_path, 'source = "https://a.example/"\n')
    assert problem(path) == (
        f"{path}: top level: source: expected an array of tables, got 'https://a.example/'"
    )


def test_source_array_items_must_be_tables(tmp_path):
    path = write(tmp_path, 'source = [{ url = "https://a.example/" }, "https://b.example/"]\n')
    assert problem(path) == f"{path}: source #2: expected a table, got 'https://b.example/'"


def test_invalid_toml_is_reported_with_its_line_and_column(tmp_path):
    path = write(tmp_path, "delay = 1\n[[source]]\nurl = \n")
    assert problem(path) == f"{path}: not valid TOML: Invalid value (at line 3, column 7)"


def test_a_missing_file_is_reported(tmp_path):
    path = tmp_path / "nope.toml"
    assert problem(path) == f"{path}: no such file"


def test_a_directory_is_reported_as_unreadable(tmp_path):
    assert problem(tmp_path).startswith(f"{tmp_path}: cannot read: ")


def test_a_file_that_is_not_utf8_is_reported_with_the_line(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_bytes(b'[[source]]\nurl = "https://caf\xe9.example/"\n')
    assert problem(path) == f"{path}: not UTF-8 text (invalid byte at line 2)"
