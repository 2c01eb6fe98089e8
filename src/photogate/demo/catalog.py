"""The demo shop's products (Tailwind Traders: outdoor and home); data only, no seeding."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoProduct:
    """One demo product; `hue` (0-359) colours its generated marketing photos."""

    sku: str
    name: str
    description: str
    price_cents: int
    hue: int


DEMO_PRODUCTS: list[DemoProduct] = [
    DemoProduct(
        "TT-TENT-2P",
        "Trailhead 2-Person Tent",
        "A freestanding three-season tent that pitches in five minutes and packs to the size "
        "of a loaf of bread. Two doors, two vestibules, no arguments.",
        24900,
        150,
    ),
    DemoProduct(
        "TT-PACK-35L",
        "Ridgeline 35 L Daypack",
        "A ventilated back panel, a hip belt that actually carries weight, and a stretch "
        "pocket for the jacket you will take off twenty minutes in.",
        12900,
        25,
    ),
    DemoProduct(
        "TT-BOTL-750",
        "Summit Insulated Bottle 750 ml",
        "Double-walled stainless steel: cold for a day, hot until lunch. Fits every cup "
        "holder we tried.",
        3400,
        200,
    ),
    DemoProduct(
        "TT-MUG-ENAMEL",
        "Campfire Enamel Mug",
        "A classic speckled enamel mug for coffee at the trailhead or soup at the kitchen "
        "table. Dishwasher safe.",
        1800,
        10,
    ),
    DemoProduct(
        "TT-LAMP-LED",
        "Lumen Rechargeable Lantern",
        "Warm, dimmable light for tent or porch, 40 hours on low, charges over USB-C and "
        "doubles as a power bank.",
        4900,
        45,
    ),
    DemoProduct(
        "TT-CHAIR-FOLD",
        "Basecamp Folding Chair",
        "A sturdy folding chair with a high back and a cup holder that sets up on uneven "
        "ground and folds flat for the car.",
        6900,
        95,
    ),
    DemoProduct(
        "TT-SLEEP-3S",
        "Three-Season Sleeping Bag",
        "Synthetic insulation rated to -2 °C that stays warm when damp, with a full-length "
        "zip and a compression sack.",
        15900,
        230,
    ),
    DemoProduct(
        "TT-STOVE-1B",
        "Compact Backpacking Stove",
        "Boils a litre in under four minutes, folds into its own pot, and lights with a "
        "built-in igniter.",
        5900,
        340,
    ),
    DemoProduct(
        "TT-HAMK-DBL",
        "Canopy Double Hammock",
        "Parachute nylon that holds two, with tree-friendly straps. Hang it in the woods or "
        "between two posts on the deck.",
        7900,
        175,
    ),
    DemoProduct(
        "TT-BLNK-WOOL",
        "Hearthside Wool Throw",
        "A heavy merino-blend throw for cold evenings on the sofa or around the fire pit, "
        "finished with a short fringe.",
        8900,
        30,
    ),
    DemoProduct(
        "TT-PLNT-CER",
        "Terrace Ceramic Planter",
        "A glazed, frost-proof planter with a drainage hole and saucer, sized for herbs on "
        "the balcony or a fern indoors.",
        3900,
        120,
    ),
    DemoProduct(
        "TT-COOL-25",
        "Roadtrip 25 L Cooler",
        "Rotomoulded walls keep ice for three days; the lid latches shut and seats an adult "
        "at the campsite.",
        18900,
        185,
    ),
]
