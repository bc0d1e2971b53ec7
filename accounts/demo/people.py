"""Made-up but realistic demo customers, generated from a fixed seed with no external data.

Everything here is pure (no database): the same seed always gives the same customers, numbers,
addresses, tax ids and phone numbers, which is what lets `load_demo` find by natural key what an
earlier run created. Tax ids carry valid check characters (Spanish NIF/CIF, Irish PPS/VAT, US EIN)
so that validators added later accept them.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

EN_FIRST = [
    "Claire", "Liam", "Aoife", "Conor", "Sarah", "James", "Niamh", "Patrick", "Emily", "Sean", "Grace", "Daniel",
    "Hannah", "Michael", "Ciara", "Thomas", "Rachel", "David", "Orla", "Jack", "Laura", "Mark", "Sophie", "Paul",
]  # fmt: skip
EN_LAST = [
    "Donovan", "Murphy", "Kelly", "O'Brien", "Walsh", "Byrne", "Ryan", "O'Connor", "Doyle", "McCarthy", "Gallagher",
    "Kennedy", "Lynch", "Quinn", "Brennan", "Fitzgerald", "Nolan", "Dunne", "Carroll", "Hughes", "Power", "Foley",
]  # fmt: skip
ES_FIRST = [
    "Lucía", "Javier", "María", "Alejandro", "Carmen", "Pablo", "Elena", "Sergio", "Marta", "Diego", "Sofía", "Raúl",
    "Paula", "Andrés", "Laura", "Jorge", "Nuria", "Álvaro", "Irene", "Manuel", "Cristina", "Rubén", "Ana", "Iván",
]  # fmt: skip
ES_LAST = [
    "García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz",
    "Moreno", "Muñoz", "Álvarez", "Romero", "Navarro", "Torres", "Domínguez", "Gil", "Vázquez", "Serrano", "Blanco",
]  # fmt: skip
EN_COMPANY_STEMS = ["Northwind", "Harbour", "Kestrel", "Bramble", "Oakridge", "Silverline", "Ashford", "Meridian"]
EN_COMPANY_TRADES = ["Logistics", "Analytics", "Dental Care", "Architects", "Engineering", "Catering", "Print Works"]
ES_COMPANY_TRADES = ["Transportes", "Construcciones", "Asesoría", "Clínica Dental", "Talleres", "Distribuciones"]
ES_COMPANY_STEMS = ["Ebro", "del Sur", "Montaña", "Levante", "Alameda", "Miramar", "Castilla", "Guadalquivir"]

# (city, postal codes to draw from) per country; postal codes follow each country's format.
IE_CITIES = [("Dublin", ["D02 X285", "D04 K7C2", "D08 VF8H"]), ("Cork", ["T12 R2NC"]), ("Galway", ["H91 E2K3"])]
ES_CITIES = [("Madrid", ["28013", "28004"]), ("Barcelona", ["08001", "08010"]), ("Valencia", ["46002"])]
ES_CITIES += [("Sevilla", ["41001"]), ("Bilbao", ["48001"]), ("Málaga", ["29015"])]
US_CITIES = [("New York, NY", ["10001", "10013"]), ("Austin, TX", ["78701"]), ("Boston, MA", ["02108"])]
IE_STREETS = ["Main Street", "Harbour Road", "Church Lane", "Station Road", "Mill Street", "Patrick Street"]
ES_STREETS = ["Calle Mayor", "Calle de Alcalá", "Gran Vía", "Avenida de la Constitución", "Calle Real"]
US_STREETS = ["Market Street", "Congress Avenue", "Atlantic Avenue", "Hudson Street"]


@dataclass(frozen=True)
class AccountSpec:
    number: str
    name: str
    currency: str
    payment_mode: str  # accounts.models.customers.PaymentMode values
    credit_limit: Decimal
    cycle_code: str
    product_code: str  # the catalog product the account subscribes to (see rating/demo.py)
    msisdn: str  # E.164 digits without "+": the subscription's service identifier
    pockets: tuple[str, ...]  # extra pocket units beyond the main money pocket


@dataclass(frozen=True)
class CustomerSpec:
    tenant_code: str
    number: str
    kind: str  # "person" or "company"
    name: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    postal_code: str
    city: str
    country: str
    tax_id: str
    language: str
    segment: str
    accounts: tuple[AccountSpec, ...]

    def customer_fields(self) -> dict[str, str]:
        """The fields `customer_create` takes besides tenant, number and name."""
        names = ["kind", "email", "phone", "address_line1", "address_line2", "postal_code", "city", "country"]
        names += ["tax_id", "language", "segment"]
        return {field: getattr(self, field) for field in names}


# --- tax ids with their real check characters -------------------------------------------------------


def spanish_nif(number: int) -> str:
    """DNI/NIF of a Spanish person: 8 digits and the mod-23 control letter."""
    return f"{number:08d}" + "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]


def spanish_cif(number: int, letter: str = "B") -> str:
    """CIF of a Spanish company (B = sociedad limitada): letter, 7 digits, control digit."""
    digits = [int(d) for d in f"{number:07d}"]
    even = sum(digits[1::2])
    odd = sum(sum(divmod(2 * d, 10)) for d in digits[0::2])
    return f"{letter}{number:07d}{(10 - (even + odd) % 10) % 10}"


def irish_check_letter(number: int) -> str:
    """Irish PPS and VAT numbers: weights 8..2 over 7 digits, mod 23, 0 -> W, n -> A..V."""
    total = sum(int(d) * w for d, w in zip(f"{number:07d}", range(8, 1, -1), strict=True)) % 23
    return "W" if total == 0 else chr(ord("A") + total - 1)


def irish_pps(number: int) -> str:
    return f"{number:07d}{irish_check_letter(number)}"


def irish_vat(number: int) -> str:
    return f"IE{number:07d}{irish_check_letter(number)}"


def us_ein(rng: random.Random) -> str:
    return f"{rng.choice([12, 20, 27, 45, 46, 81])}-{rng.randrange(10**6, 10**7):07d}"


# --- names, places, numbers ---------------------------------------------------------------------------


def ascii_slug(text: str, sep: str = ".") -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in plain.lower()).split()
    return sep.join(words)


class _Draw:
    """One seeded source of demo values that never repeats a phone number or tax id."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used: set[str] = set()

    def unique(self, make: Callable[[], str]) -> str:
        while True:
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value

    def msisdn(self, country: str) -> str:
        r = self.rng
        if country == "ES":
            return self.unique(lambda: f"346{r.randrange(10**7, 10**8)}")
        if country == "US":
            return self.unique(
                lambda: f"1{r.choice([212, 512, 617, 646])}{r.randrange(200, 999)}{r.randrange(10**4):04d}"
            )
        return self.unique(lambda: f"3538{r.choice([3, 5, 6, 7])}{r.randrange(10**6, 10**7)}")

    def person(self, country: str) -> tuple[str, str]:
        r = self.rng
        if country == "ES":
            first, last = r.choice(ES_FIRST), f"{r.choice(ES_LAST)} {r.choice(ES_LAST)}"
            return f"{first} {last}", self.unique(lambda: spanish_nif(r.randrange(10**7, 8 * 10**7)))
        first, last = r.choice(EN_FIRST), r.choice(EN_LAST)
        tax_id = self.unique(lambda: irish_pps(r.randrange(10**6, 10**7))) if country == "IE" else ""
        return f"{first} {last}", tax_id

    def company(self, country: str) -> tuple[str, str]:
        r = self.rng
        if country == "ES":
            name = f"{r.choice(ES_COMPANY_TRADES)} {r.choice(ES_COMPANY_STEMS)} {r.choice(['S.L.', 'S.L.', 'S.A.'])}"
            return name, self.unique(lambda: spanish_cif(r.randrange(10**6, 10**7)))
        name = f"{r.choice(EN_COMPANY_STEMS)} {r.choice(EN_COMPANY_TRADES)}"
        if country == "US":
            return f"{name} Inc.", self.unique(lambda: us_ein(r))
        return f"{name} Ltd", self.unique(lambda: irish_vat(r.randrange(10**6, 10**7)))

    def address(self, country: str) -> tuple[str, str, str, str]:
        """(line 1, line 2, postal code, city) in the country's usual layout."""
        r = self.rng
        if country == "ES":
            city, codes = r.choice(ES_CITIES)
            line2 = r.choice(["", f"{r.randrange(1, 9)}º {r.choice('ABCD')}"])
            return f"{r.choice(ES_STREETS)}, {r.randrange(1, 140)}", line2, r.choice(codes), city
        if country == "US":
            city, codes = r.choice(US_CITIES)
            return (
                f"{r.randrange(10, 900)} {r.choice(US_STREETS)}",
                f"Suite {r.randrange(100, 900)}",
                r.choice(codes),
                city,
            )
        city, codes = r.choice(IE_CITIES)
        return f"{r.randrange(1, 120)} {r.choice(IE_STREETS)}", "", r.choice(codes), city


def _account_specs(
    draw: _Draw, *, number: str, kind: str, country: str, tenant_code: str, phone_msisdn: str
) -> tuple[AccountSpec, ...]:
    """A customer's billing accounts; the first line's MSISDN is the customer's own phone number."""
    r = draw.rng
    currency = "USD" if country == "US" else "EUR"
    if kind == "company":
        modes = ["postpaid"] * 4 + ["hybrid"]
        lines = r.choice([1, 1, 2])
    else:
        modes = ["prepaid"] * 9 + ["postpaid"] * 7 + ["hybrid"] * 4
        lines = r.choice([1] * 6 + [2])
    specs = []
    for line in range(1, lines + 1):
        mode = r.choice(modes)
        if mode == "prepaid":
            limit = Decimal("0")
        elif kind == "company":
            limit = Decimal(r.choice([250, 500] if mode == "hybrid" else [2500, 5000]))
        else:
            limit = Decimal(r.choice([50, 100] if mode == "hybrid" else [150, 250, 500]))
        if tenant_code == "sol":
            product = "sol-movil-20"
        elif kind == "company":
            product = "business-mobile"
        else:
            product = {"prepaid": "mobile-prepaid"}.get(mode, "mobile-unlimited" if line == 1 else "data-sim")
        pockets = ["MIN", "SMS", "MB"] if product != "data-sim" else ["MB"]
        if kind == "person" and r.random() < 0.6:
            pockets.append("PTS")
        if kind == "company" and country == "US" and line == 1:
            pockets.append("BTC")  # a US business that settles roaming passes in bitcoin
        specs.append(
            AccountSpec(
                number=f"{number}-{line}",
                name="Mobile" if line == 1 else ("Data SIM" if product == "data-sim" else f"Line {line}"),
                currency=currency,
                payment_mode=mode,
                credit_limit=limit,
                cycle_code=r.choice(["monthly-1", "monthly-15"]),
                product_code=product,
                msisdn=phone_msisdn if line == 1 else draw.msisdn(country),
                pockets=tuple(pockets),
            )
        )
    return tuple(specs)


# Who the demo's tenants serve: (tenant code, customer number prefix, how many, countries in turn).
POPULATION = [
    ("acme", "AC", 30, ["IE", "ES", "IE", "US", "IE", "ES", "IE", "IE", "US", "ES"]),
    ("bluewave", "BW", 10, ["IE"]),
    ("sol", "SC", 10, ["ES"]),
]


def portal_customer_spec() -> CustomerSpec:
    """The customer whose portal login `load_demo` prints: a prepaid mobile user with every kind of pocket."""
    return CustomerSpec(
        tenant_code="acme",
        number="AC0001",
        kind="person",
        name="Claire Donovan",
        email="claire.donovan@mail.example.com",
        phone="+353871234567",
        address_line1="14 Harbour Road",
        address_line2="",
        postal_code="D04 K7C2",
        city="Dublin",
        country="IE",
        tax_id=irish_pps(1234567),
        language="en",
        segment="consumer",
        accounts=(
            AccountSpec("AC0001-1", "Mobile", "EUR", "prepaid", Decimal("0"), "monthly-1", "mobile-prepaid",
                        "353871234567", ("MIN", "SMS", "MB", "PTS", "BTC")),
            AccountSpec("AC0001-2", "Data SIM", "EUR", "postpaid", Decimal("150"), "monthly-15", "data-sim",
                        "353871234568", ("MB",)),
        ),
    )  # fmt: skip


def demo_customers(seed: int) -> list[CustomerSpec]:
    """The demo population: the portal customer first, then seeded customers of every tenant."""
    draw = _Draw(seed)
    portal = portal_customer_spec()
    draw.used.update(a.msisdn for a in portal.accounts)
    specs = [portal]
    for tenant_code, prefix, count, countries in POPULATION:
        first = 2 if tenant_code == "acme" else 1
        for n in range(first, count + 1):
            country = countries[n % len(countries)]
            kind = "company" if draw.rng.random() < 0.3 else "person"
            name, tax_id = draw.company(country) if kind == "company" else draw.person(country)
            line1, line2, postal_code, city = draw.address(country)
            slug = ascii_slug(name)
            if kind == "person":
                email = f"{slug}@mail.example.com"
            else:
                domain = "-".join(w for w in slug.split(".") if w not in {"s", "l", "a", "ltd", "inc"})
                email = f"accounts@{domain}.example.com"
            msisdn_for_phone = draw.msisdn(country)
            number = f"{prefix}{n:04d}"
            specs.append(
                CustomerSpec(
                    tenant_code=tenant_code,
                    number=number,
                    kind=kind,
                    name=name,
                    email=email,
                    phone=f"+{msisdn_for_phone}",
                    address_line1=line1,
                    address_line2=line2,
                    postal_code=postal_code,
                    city=city,
                    country=country,
                    tax_id=tax_id,
                    language="es" if country == "ES" else "en",
                    segment="business" if kind == "company" else "consumer",
                    accounts=_account_specs(
                        draw,
                        number=number,
                        kind=kind,
                        country=country,
                        tenant_code=tenant_code,
                        phone_msisdn=msisdn_for_phone,
                    ),
                )
            )
    return specs
