import pytest

from channels import sms, twilio
from channels.messages import Button

BUTTONS = (Button("Apply for credit", "/apply"), Button("Check my loan", "/check_loan"))


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop ",
        "STOPALL",
        "unsubscribe",
        "CANCEL",
        "end",
        "QUIT",
        "Stop.",
        "REVOKE",
        "optout",
    ],
)
def test_opt_out_keywords(text):
    assert sms.keyword(text) == "stop"


@pytest.mark.parametrize("text", ["START", "yes", "Unstop", "YES!"])
def test_opt_in_keywords(text):
    assert sms.keyword(text) == "start"


@pytest.mark.parametrize("text", ["HELP", "info", " Help "])
def test_help_keywords(text):
    assert sms.keyword(text) == "help"


@pytest.mark.parametrize(
    "text", ["stop please", "please stop", "I want to cancel my loan", "help me", "", "STOPP"]
)
def test_a_keyword_counts_only_as_the_whole_message(text):
    assert sms.keyword(text) is None


def test_twilio_exposes_the_same_keyword_function():
    assert twilio.keyword("STOP") == "stop"


def test_the_menu_numbers_the_buttons():
    assert sms.menu(BUTTONS) == "Reply 1 for Apply for credit\nReply 2 for Check my loan"


@pytest.mark.parametrize(
    ("text", "index"),
    [("1", 0), ("1.", 0), (" 2 ", 1), ("option 2", 1), ("Option 1", 0), ("2)", 1), ("#2", 1)],
)
def test_a_number_picks_that_button_of_the_last_menu(text, index):
    assert twilio.menu_choice(text, BUTTONS) is BUTTONS[index]


@pytest.mark.parametrize("text", ["3", "0", "12", "one", "1 please", "I'd like 1 loan", "", "-1"])
def test_anything_else_is_not_a_menu_choice(text):
    assert twilio.menu_choice(text, BUTTONS) is None


def test_no_menu_no_choice():
    assert twilio.menu_choice("1", ()) is None
