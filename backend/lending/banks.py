"""The Nigerian banks and other financial institutions a borrower can be paid into, with the names
customers actually type ("gtb", "first bank", "moniepoint").

Codes are the ones the payment providers' transfer APIs take (Paystack's and Flutterwave's bank
lists): the CBN's 3-digit code for a deposit money bank, the 5- or 6-digit institution code for a
microfinance bank or mobile-money operator. `backend.lending.nuban.institution_code` turns either
into the six digits the check digit is computed over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bank:
    code: str
    name: str
    aliases: tuple[str, ...] = ()

    @property
    def short_name(self) -> str:
        """What a chat button shows: the first alias, else the name."""
        return self.aliases[0].upper() if self.aliases and len(self.aliases[0]) <= 4 else self.name


BANKS: tuple[Bank, ...] = (
    Bank("044", "Access Bank", ("access", "access bank", "diamond", "access diamond")),
    Bank("023", "Citibank Nigeria", ("citi", "citibank")),
    Bank("050", "Ecobank Nigeria", ("eco", "ecobank")),
    Bank("070", "Fidelity Bank", ("fidelity",)),
    Bank("011", "First Bank of Nigeria", ("fbn", "first bank", "firstbank", "first")),
    Bank("214", "First City Monument Bank", ("fcmb", "first city monument")),
    Bank("103", "Globus Bank", ("globus",)),
    Bank("058", "Guaranty Trust Bank", ("gtb", "gtbank", "gt bank", "guaranty trust", "gtco")),
    Bank("301", "Jaiz Bank", ("jaiz",)),
    Bank("082", "Keystone Bank", ("keystone",)),
    Bank("303", "Lotus Bank", ("lotus",)),
    Bank("107", "Optimus Bank", ("optimus",)),
    Bank("076", "Polaris Bank", ("polaris", "skye")),
    Bank("105", "PremiumTrust Bank", ("premiumtrust", "premium trust")),
    Bank("101", "Providus Bank", ("providus",)),
    Bank("106", "Signature Bank", ("signature",)),
    Bank("221", "Stanbic IBTC Bank", ("stanbic", "ibtc", "stanbic ibtc")),
    Bank("068", "Standard Chartered Bank", ("scb", "standard chartered", "stanchart")),
    Bank("232", "Sterling Bank", ("sterling",)),
    Bank("100", "SunTrust Bank", ("suntrust",)),
    Bank("302", "TAJBank", ("taj", "tajbank")),
    Bank("102", "Titan Trust Bank", ("titan", "titan trust")),
    Bank("032", "Union Bank of Nigeria", ("union", "union bank")),
    Bank("033", "United Bank for Africa", ("uba", "united bank for africa")),
    Bank("215", "Unity Bank", ("unity",)),
    Bank("035", "Wema Bank", ("wema", "alat")),
    Bank("057", "Zenith Bank", ("zenith", "zenith bank")),
    Bank("50211", "Kuda Microfinance Bank", ("kuda", "kuda bank")),
    Bank("50515", "Moniepoint Microfinance Bank", ("moniepoint", "monie point", "teamapt")),
    Bank("999992", "OPay", ("opay", "o pay", "paycom")),
    Bank("999991", "PalmPay", ("palmpay", "palm pay")),
)

_BY_CODE = {b.code: b for b in BANKS}


def bank_by_code(code: str) -> Bank | None:
    return _BY_CODE.get(code.strip())


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def find_bank(text: str) -> Bank | None:
    """The bank a customer means by `text` ("GTB", "first bank", "Zenith Bank Plc", "058")."""
    key = _key(text)
    if not key:
        return None
    if (by_code := _BY_CODE.get(key)) is not None:
        return by_code
    for bank in BANKS:
        names = (_key(bank.name), *bank.aliases)
        if key in names or key.removesuffix(" plc").removesuffix(" bank") in names:
            return bank
    return None
