from backend.lending.money import Money
from backend.services.formatting import format_money, safe_locale


def test_naira_in_nigerian_english():
    assert format_money(Money.of("3600000", "NGN"), "en_NG") == "₦3,600,000.00"


def test_shillings_in_kenyan_english():
    assert format_money(Money.of("60000", "KES"), "en_KE") == "Ksh60,000.00"


def test_a_bad_locale_falls_back_instead_of_failing_the_turn():
    assert safe_locale("xx_??") == "en"
    assert format_money(Money.of("10", "USD"), "not-a-locale") == "$10.00"
