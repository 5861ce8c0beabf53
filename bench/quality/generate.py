"""The retrieval-quality dataset: a seeded, dependency-free generator of long conversations with questions.

Owns the synthetic world of the quality benchmark (bench/quality/evaluate.py measures recall on it):
two friends, Maya and Tom, chat over 40 sessions spread across ~14 months (2025-01-06 onwards).
Their turns carry facts (jobs, family, pets, places, allergies), dated events (trips, courses,
concerts, doctor visits, hikes, purchases, races, weddings), preferences that change over time, and
news about 26 friends and relatives -- buried in small talk that deliberately reuses the same
vocabulary (several trips, courses, restaurants, dogs), so that matching words alone is ambiguous.

Every question names the turn(s) holding its answer (`evidence`). Five kinds:

- `keyword`: shares distinctive words with its evidence turn;
- `paraphrase`: the same facts as the keyword questions, asked with synonyms ("canine" for "dog",
  "relocating" for "moving") so that few content words are shared;
- `temporal`: anchored in time ("in March 2025", "in the week of 10 March 2025"); the period is
  chosen so that exactly one event of that kind by that person falls in it;
- `multi_hop`: bridges two turns about the same friend ("the dog of the person who moved to Porto");
  evidence is both turns, identifying one first;
- `change_of_mind`: asks for the latest state of a preference that changed; evidence is the turn
  stating it, and `superseded` lists the earlier, now stale turns.

`generate(seed)` is pure: the same seed gives the same dataset, byte for byte once written.
`python -m bench.quality.generate --out DIR` writes turns.jsonl and questions.jsonl for inspection.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

DEFAULT_SEED = 7
SPEAKERS = ("Maya", "Tom")
FIRST_SESSION = date(2025, 1, 6)
N_SESSIONS = 40
#: Facts shared by the keyword and the paraphrase questions (the same facts, asked two ways).
KEYWORD_FACTS = 120
KINDS = ("keyword", "paraphrase", "temporal", "multi_hop", "change_of_mind")


# -- the dataset --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    id: str  # "s07-t013"
    session: int
    speaker: str
    timestamp: str  # RFC 3339 UTC, "2025-03-14T18:02:00Z"
    text: str


@dataclass
class Question:
    qid: str
    kind: str
    question: str
    evidence: list[str]
    answer: str | None = None
    #: change_of_mind only: turns stating an earlier, replaced state (wrong answers now).
    superseded: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    seed: int
    session_dates: list[str]  # index i holds the date of session i + 1
    turns: list[Turn]
    questions: list[Question]


# -- the world: entities -------------------------------------------------------------------------

PRONOUNS = {"f": ("she", "her", "her"), "m": ("he", "him", "his")}  # subject, object, possessive

CAST = [
    ("Clara", "f"), ("Rafael", "m"), ("Priya", "f"), ("Owen", "m"), ("Hannah", "f"), ("Marcus", "m"),
    ("Ingrid", "f"), ("Felix", "m"), ("Zara", "f"), ("Declan", "m"), ("Leonie", "f"), ("Samir", "m"),
    ("Beatrix", "f"), ("Callum", "m"), ("Noor", "f"), ("Jasper", "m"), ("Eleni", "f"), ("Tobias", "m"),
    ("Freya", "f"), ("Kwame", "m"), ("Rosalind", "f"), ("Ezra", "m"), ("Mirela", "f"), ("Hugo", "m"),
    ("Aoife", "f"), ("Nikhil", "m"),
]  # fmt: skip

RELATIONS = {
    "f": ["sister", "cousin", "colleague", "neighbour", "old flatmate", "uni friend", "aunt", "manager",
          "sister-in-law", "school friend"],
    "m": ["brother", "cousin", "colleague", "neighbour", "old flatmate", "uni friend", "uncle", "manager",
          "brother-in-law", "school friend"],
}  # fmt: skip

MOVE_CITIES = [
    "Porto", "Bristol", "Glasgow", "Copenhagen", "Valencia", "Montreal", "Melbourne", "Dublin", "Rotterdam",
    "Lyon", "Edinburgh", "Cardiff", "Vancouver", "Bologna", "Gdansk", "Seville", "Auckland", "Hamburg",
    "Galway", "Toronto", "Bergen", "Ljubljana", "Kyoto", "Boston", "Nantes", "Aberdeen",
]  # fmt: skip

MOVE_REASONS = [
    "for a new job", "to be closer to {pos} partner", "because the rent is half what it is here",
    "to start a PhD", "to look after {pos} mum", "for a fresh start after the break-up",
    "to join a tiny start-up", "because {pos} company is opening an office there", "to be near the sea",
]  # fmt: skip

#: species -> words a paraphrase may use instead
SPECIES = {
    "dog": ["canine", "pooch"], "cat": ["feline", "moggy"], "rabbit": ["bunny"], "parrot": ["bird"],
    "tortoise": ["shelled reptile"], "ferret": ["weasel-like pet"], "hamster": ["little rodent"],
    "guinea pig": ["cavy"], "snake": ["serpent"],
}  # fmt: skip
CAST_SPECIES = ["dog"] * 7 + ["cat"] * 6 + ["rabbit"] * 3 + ["parrot", "parrot", "tortoise", "tortoise"]
CAST_SPECIES += ["ferret", "ferret", "hamster", "guinea pig", "guinea pig", "snake"]

PET_NAMES = [
    "Pepper", "Biscuit", "Mango", "Noodle", "Waffles", "Pickle", "Bramble", "Otis", "Luna", "Ziggy", "Fudge",
    "Marmite", "Basil", "Clementine", "Dumpling", "Pumpkin", "Kiwi", "Sherlock", "Tofu", "Peanut", "Crumpet",
    "Gizmo", "Hobbes", "Nutmeg", "Poppy", "Rolo", "Wasabi",
]  # fmt: skip

PET_DETAILS = [
    "chewed through a phone charger again", "got stuck behind the washing machine",
    "won a rosette at the village show", "ate half a birthday cake off the table",
    "figured out how to open the back door", "escaped twice this week", "has been put on a diet by the vet",
    "stole a sausage at the barbecue", "fell asleep in the laundry basket", "knocked a vase off the shelf",
]  # fmt: skip

# (job, paraphrase, employer)
JOBS = [
    ("junior doctor", "trainee physician", "St James's Hospital"),
    ("solicitor", "attorney", "Harrow & Finch"),
    ("vet", "veterinarian", "Pawprint Animal Clinic"),
    ("head chef", "kitchen boss", "The Olive Branch"),
    ("airline pilot", "commercial aviator", "Jet2"),
    ("journalist", "reporter", "the Yorkshire Post"),
    ("accountant", "bean counter", "Deloitte"),
    ("pharmacist", "chemist", "Boots"),
    ("firefighter", "fireman", "West Yorkshire Fire Service"),
    ("police officer", "cop", "the Met"),
    ("librarian", "book lender", "the British Library"),
    ("architect", "building designer", "Foster + Partners"),
    ("electrician", "sparky", "Brightwire Electrical"),
    ("translator", "interpreter", "the European Commission"),
    ("midwife", "birth attendant", "Leeds General Infirmary"),
    ("zookeeper", "animal keeper", "Chester Zoo"),
    ("data scientist", "statistician", "the Office for National Statistics"),
    ("social worker", "caseworker", "Leeds City Council"),
    ("sommelier", "wine steward", "The Ivy"),
    ("gardener", "groundskeeper", "Harewood House"),
    ("tour guide", "sightseeing leader", "Golden Trail Tours"),
    ("graphic designer", "visual branding artist", "Pentagram"),
    ("air traffic controller", "flight tower operator", "NATS"),
    ("speech therapist", "language pathologist", "the NHS"),
    ("software engineer", "programmer", "Monzo"),
    ("carpenter", "joiner", "Oak and Iron"),
    ("optometrist", "eye examiner", "Specsavers"),
    ("civil engineer", "bridge designer", "Arup"),
    ("museum curator", "exhibition keeper", "the Science Museum"),
]

# (hobby as a gerund phrase, paraphrase)
HOBBIES = [
    ("rock climbing", "scaling walls with ropes and harnesses"),
    ("playing the cello", "a bowed string instrument"),
    ("archery", "shooting arrows at targets"),
    ("fencing", "a sport with swords"),
    ("knitting", "making jumpers with yarn and needles"),
    ("birdwatching", "spotting feathered wildlife"),
    ("sailing", "yachting"),
    ("surfing", "riding waves"),
    ("juggling", "tossing clubs in the air"),
    ("calligraphy", "decorative handwriting"),
    ("origami", "folding paper into shapes"),
    ("ballroom dancing", "waltz and foxtrot"),
    ("playing the trumpet", "a brass instrument"),
    ("playing the drums", "percussion"),
    ("playing the violin", "the fiddle"),
    ("scuba diving", "exploring underwater"),
    ("quilting", "patchwork sewing"),
    ("fly fishing", "angling"),
    ("playing chess", "a game of kings, queens and pawns"),
    ("roller derby", "a contact sport on skates"),
    ("open-water swimming", "dips in lakes and the sea"),
    ("skateboarding", "tricks on a deck with wheels"),
    ("taxidermy", "stuffing dead animals"),
    ("playing the ukulele", "a tiny four-string instrument"),
    ("bell ringing", "church campanology"),
    ("kickboxing", "a combat sport with punches and kicks"),
    ("building model railways", "miniature trains"),
]

# (destination, highlight, paraphrased highlight); both gerund phrases
TRIPS = [
    ("Lisbon", "riding the old yellow trams up the hills", "travelling on historic streetcars"),
    ("Rome", "eating gelato next to the Trevi Fountain", "having Italian ice cream beside a baroque landmark"),
    ("Barcelona", "seeing the Sagrada Familia lit up at night", "admiring Gaudi's unfinished basilica after dark"),
    ("Amsterdam", "cycling along the canals at sunrise", "biking beside the waterways early in the morning"),
    ("Berlin", "walking the whole East Side Gallery", "strolling past the graffiti on the old Cold War barrier"),
    ("Paris", "climbing the Eiffel Tower at sunset", "going up the famous iron landmark at dusk"),
    ("Vienna", "spending a night at the State Opera", "enjoying an evening of sung classical drama"),
    ("Prague", "watching the astronomical clock strike noon", "seeing the medieval timepiece chime at midday"),
    ("Reykjavik", "swimming in the Blue Lagoon", "bathing in geothermal hot springs"),
    ("Krakow", "touring the salt mine", "going deep underground into an old mineral pit"),
    ("Venice", "taking a gondola ride through the back canals", "being rowed in a traditional boat"),
    ("Budapest", "soaking in the Szechenyi thermal baths", "relaxing in hot spa pools"),
    ("Athens", "seeing the Acropolis at sunrise", "visiting the ancient hilltop temples at dawn"),
    ("Istanbul", "haggling in the Grand Bazaar", "bargaining at an enormous covered market"),
    ("Marrakech", "doing a camel trek at the edge of the desert", "riding dromedaries through the sand"),
    ("New York", "seeing a Broadway show", "watching a musical in Manhattan's theatre district"),
    ("Tokyo", "seeing the cherry blossom in Ueno Park", "enjoying sakura season"),
    ("Snowdonia", "climbing Snowdon in the pouring rain", "scaling the highest Welsh peak during a downpour"),
    ("Cornwall", "learning to surf at Fistral beach", "catching waves on the Atlantic coast"),
    ("the Lake District", "kayaking across Windermere", "paddling over England's largest lake"),
    ("the Isle of Skye", "swimming in the Fairy Pools", "taking a freezing dip in magical blue waterfalls"),
    ("Florence", "queueing for the Uffizi", "waiting in line at a famous Renaissance art museum"),
    ("Madrid", "doing a tapas crawl in La Latina", "hopping between small-plate bars"),
    ("Dubrovnik", "walking the city walls", "strolling along the old fortifications"),
    ("Oslo", "visiting the Viking Ship Museum", "seeing Norse longboats on display"),
    ("Stockholm", "going round the ABBA museum", "exploring an exhibition about a Swedish Eurovision pop group"),
]

# (course, paraphrase, venue)
COURSES = [
    ("pottery", "ceramics", "Clayworks Studio"),
    ("woodworking", "carpentry", "the Joinery on Mill Lane"),
    ("Spanish", "the language of Madrid and Mexico City", "Instituto Cervantes"),
    ("Italian", "the language of Rome and Milan", "the Dante Society"),
    ("first aid", "CPR and emergency care", "the St John Ambulance centre"),
    ("photography", "camera skills", "Lightbox Academy"),
    ("sourdough baking", "bread-making", "Crumb and Co"),
    ("salsa dancing", "Latin partner dance", "Casa Ritmo"),
    ("life drawing", "sketching live models", "the Northern Art School"),
    ("creative writing", "fiction and storytelling", "the Inkwell"),
    ("beekeeping", "apiculture", "Hive Mind Apiary"),
    ("astronomy", "stargazing and the planets", "the Observatory Society"),
    ("Python programming", "computer coding", "CodeBridge"),
    ("British Sign Language", "communicating with hands for the deaf community", "Deaf Connect"),
    ("guitar", "six-string lessons", "Riffs Music School"),
    ("wine tasting", "sommelier skills", "the Cellar Club"),
    ("bookkeeping", "accounts for small businesses", "Ledger Learning"),
    ("French", "the language of Paris and Quebec", "Alliance Francaise"),
    ("mindfulness", "meditation", "the Calm Room"),
    ("upholstery", "re-covering old chairs", "Stitch and Frame"),
]
COURSE_DETAILS = [
    "the teacher is lovely", "there are only eight of us in the group", "I was hopeless but loved it",
    "it runs every Tuesday until the summer", "half the class are retired and brilliant",
    "my homework is already overdue", "I think I've found my calling",
]  # fmt: skip

# (band, genre, paraphrased genre)
CONCERTS = [
    ("The Paper Lanterns", "folk", "acoustic traditional"),
    ("Velvet Static", "indie rock", "alternative guitar"),
    ("Kite Parade", "synth-pop", "eighties-style electronic"),
    ("Northern Hymns", "choral", "many-voiced vocal ensemble"),
    ("Brass Monkey Collective", "jazz", "improvised bebop"),
    ("The Hollow Crowns", "punk", "loud anarchic three-chord"),
    ("Dub Society", "reggae", "Jamaican offbeat"),
    ("Ironclad", "metal", "headbanging heavy"),
    ("Cedar and Pine", "bluegrass", "banjo-driven country"),
    ("Midnight Soul Revue", "soul", "Motown-style R&B"),
    ("Aurora Sinfonia", "classical", "symphony orchestra"),
    ("MC Halo", "hip-hop", "rap"),
    ("Lunar Tides", "techno", "electronic club"),
]
CONCERT_VENUES = [
    "the Brudenell Social Club", "the O2 Academy", "Howard Assembly Room", "the Wardrobe",
    "Belgrave Music Hall", "Leeds Town Hall", "the First Direct Arena", "the Crescent",
]  # fmt: skip

# (complaint, paraphrase, doctor, paraphrased doctor, diagnosis)
DOCTOR_VISITS = [
    ("knee pain", "sore leg joint", "physio", "physical therapist", "a strained ligament, so no running for weeks"),
    ("arm rash", "itchy skin", "dermatologist", "skin specialist", "eczema, and I've got a steroid cream for it"),
    ("migraines", "pounding headaches", "GP", "family physician", "probably stress and too much screen time"),
    ("toothache", "sore molar", "dentist", "dental surgeon", "an abscess, so I need a root canal"),
    ("blurry vision", "trouble seeing clearly", "optician", "eye specialist", "short-sightedness, so glasses"),
    ("back pain", "aching spine", "osteopath", "bone and muscle specialist", "a slipped disc"),
    ("sore throat", "painful swallowing", "GP", "family physician", "tonsillitis, so antibiotics for a week"),
    ("sprained ankle", "twisted foot", "nurse", "minor injuries clinic", "a bad sprain but nothing broken"),
    ("insomnia", "trouble sleeping", "GP", "family physician", "stress, so no screens after ten"),
    ("shoulder pain", "achy upper arm", "physio", "physical therapist", "frozen shoulder"),
    ("blocked ears", "muffled hearing", "audiologist", "hearing specialist", "just a build-up of wax"),
    ("suspicious mole", "dark spot on the skin", "skin clinic", "dermatology team", "completely harmless"),
]

HIKES = [
    "Pen y Fan", "Scafell Pike", "Helvellyn", "Roseberry Topping", "Ingleborough", "Whernside", "Kinder Scout",
    "Catbells", "Ben Nevis", "Malham Cove", "Pen-y-ghent", "Great Gable",
]  # fmt: skip
# (detail, paraphrased detail)
HIKE_DETAILS = [
    ("the fog never lifted", "the mist stayed all day"),
    ("wild ponies wandered past near the top", "untamed horses roamed close to the summit"),
    ("a boot sole came off on the way down", "footwear disintegrated during the descent"),
    ("it hailed at the summit", "ice pellets pelted down up high"),
    ("the group got lost twice", "the party took the wrong path two times"),
    ("the sunrise from the top was glorious", "dawn broke beautifully over the peak"),
    ("a pair of sunglasses went missing", "some shades were misplaced"),
    ("lunch was a picnic by the tarn", "food was eaten beside a mountain lake"),
    ("a sheep stole a sandwich", "a ewe nicked some lunch"),
    ("a geocache turned up under a rock", "hidden treasure was discovered beneath a stone"),
]

# (item, description, paraphrase)
PURCHASES = [
    ("bike", "a green Brompton folding bike", "bicycle"),
    ("laptop", "a refurbished ThinkPad laptop", "portable computer"),
    ("sofa", "a mustard velvet sofa", "couch"),
    ("camera", "a second-hand Fujifilm X100 camera", "device for taking photos"),
    ("coffee machine", "a Sage Barista coffee machine", "bean-to-cup brewer"),
    ("tent", "a two-person Vango tent", "camping shelter"),
    ("e-reader", "a Kobo e-reader", "digital book device"),
    ("record player", "an Audio-Technica record player", "turntable"),
    ("standing desk", "an electric standing desk", "height-adjustable workstation"),
    ("air fryer", "a Ninja air fryer", "countertop convection cooker"),
    ("rug", "a huge Moroccan rug", "floor covering"),
]
PURCHASE_DETAILS = [
    "no regrets so far", "it cost a bit more than I planned", "it arrived in a box big enough to live in",
    "I should have done it years ago",
]  # fmt: skip

# (race, paraphrase, finishing time)
RACES = [
    ("the Leeds 10k", "city-centre 10,000 metre run", "forty-eight minutes"),
    ("the Great North Run", "half marathon from Newcastle to South Shields", "one hour fifty-two"),
    ("the Harrogate Half", "spa-town 13.1 miler", "two hours and three minutes"),
    ("the Ilkley Moor Fell Race", "off-road hill race near the Cow and Calf rocks", "fifty-six minutes"),
    ("the York Marathon", "26.2 miles around the walled city", "four hours twelve"),
    ("the Roundhay parkrun", "Saturday morning 5k", "twenty-four minutes flat"),
]

# (couple, venue)
WEDDINGS = [
    ("Jess and Aaron", "a barn in the Dales"), ("Lucy and Dev", "a castle in Northumberland"),
    ("Sophie and Kieran", "a boathouse on Ullswater"), ("Amir and Beth", "a vineyard in Sussex"),
    ("Nadia and Chris", "Leeds Civic Hall"), ("Ollie and Grace", "a beach in Pembrokeshire"),
]  # fmt: skip
WEDDING_DETAILS = [
    "I cried during the vows", "the best man's speech was a disaster", "we danced until two in the morning",
    "it rained but nobody cared", "the cake collapsed just before the speeches", "the food was incredible",
]  # fmt: skip

# Change-of-mind topics: (key, who, values, first-state templates, change templates, "now" question,
# "what replaced {a}" question, date window or None). In templates {a} is the old value, {b} the new one,
# {A}/{B} the same capitalised.
RESTAURANTS = [
    "Lotus Garden", "Casa Nonna", "El Faro", "The Hungry Fox", "Saffron House", "Kobe Ramen Bar",
    "Little Lisbon Grill", "Bella Napoli", "The Green Fork", "Dragon Pearl", "Tandoori Nights", "Sushi Kaito",
]  # fmt: skip

CHAIN_TOPICS: list[tuple] = [
    ("restaurant", "both", RESTAURANTS,
     ["My favourite restaurant at the moment is {a}, I could eat there every week.",
      "{A} is hands down my favourite restaurant right now, the food is unreal."],
     ["I've gone off {a} a bit, {b} is my favourite restaurant now.",
      "New favourite restaurant: {b}. {A} just isn't the same since the chef left."],
     "Which restaurant is {P}'s favourite now?", "Which restaurant replaced {a} as {P}'s favourite?", None),
    ("summer", "both",
     ["Crete", "Sicily", "the Norwegian fjords", "Croatia", "the Algarve", "the Scottish Highlands", "Tuscany",
      "Sardinia", "the Dolomites", "Brittany"],
     ["I'm planning a summer holiday in {a}, just need to book the flights.",
      "Thinking {a} for the summer holiday this year, it looks gorgeous."],
     ["Change of plan for the summer, we're skipping {a} and going to {b} instead.",
      "The summer holiday is {b} now, {a} got way too expensive."],
     "Where has {P} finally decided to go for the summer holiday?",
     "Where did {P} decide to go in the summer instead of {a}?", ("2025-01-06", "2025-06-20")),
    ("new_year", "both",
     ["Tenerife", "Lapland", "Madeira", "the French Alps", "Malta", "Cyprus", "Gran Canaria", "Innsbruck"],
     ["I'm thinking of spending New Year in {a} this time.", "New Year plan: {a}, I've been looking at flights."],
     ["Forget {a}, I've booked New Year in {b} instead.", "New Year is {b} now, {a} fell through."],
     "Where is {P} spending New Year in the end?", "Which New Year destination did {P} choose over {a}?",
     ("2025-08-15", "2025-12-28")),
    ("language", "both",
     ["Japanese", "Korean", "Mandarin", "Portuguese", "German", "Greek", "Arabic", "Dutch", "Welsh"],
     ["I want to learn {a} next, I've been looking at evening classes.",
      "I've decided my next language is going to be {a}."],
     ["I've changed my mind about {a}, I'm going to learn {b} instead.",
      "Dropping the {a} plan, {b} makes more sense for me."],
     "Which language does {P} want to learn now?", "Which language did {P} pick instead of {a}?", None),
    ("fitness", "both",
     ["running", "swimming", "cycling", "rowing", "boxing", "doing pilates", "doing spin classes", "doing yoga"],
     ["I keep fit mostly by {a} these days.", "{A} is how I keep fit at the moment."],
     ["I've stopped {a}, {b} is how I keep fit now.", "I've given up {a} and switched to {b} to stay in shape."],
     "What does {P} do to keep fit these days?", "What did {P} switch to after giving up {a}?", None),
    ("band", "both",
     ["Glass Harbour", "The Marigolds", "Saint Juniper", "Low Tide Choir", "Neon Orchard", "The Wild Geese",
      "Copper Moth", "Sable Coast"],
     ["I've had {a} on repeat all month, easily my favourite band right now.",
      "{A} are my favourite band at the moment, I can't stop listening."],
     ["I'm so over {a}, {b} are my new favourite band.",
      "{B} have replaced {a} as my favourite band, sorry not sorry."],
     "Which band is {P}'s current favourite?", "Which band did {P} prefer after going off {a}?", None),
    ("author", "both",
     ["Sally Rooney", "Kazuo Ishiguro", "Terry Pratchett", "Ursula K. Le Guin", "Elena Ferrante", "Haruki Murakami",
      "Zadie Smith", "Hilary Mantel", "Maggie O'Farrell"],
     ["{A} is my favourite author, I've read nearly all the books.",
      "Nobody writes like {a}, favourite author by a mile."],
     ["I think {b} has overtaken {a} as my favourite author.",
      "Controversial, but my favourite author is {b} now, not {a}."],
     "Who is {P}'s favourite author now?", "Which author overtook {a} as {P}'s favourite?", None),
    ("coffee", "both",
     ["a flat white", "an oat latte", "a cortado", "an americano", "a cappuccino", "an iced mocha", "a chai latte",
      "a double espresso"],
     ["My usual coffee order is {a}, every single morning.", "I always get {a} on the way to work."],
     ["I've switched my usual from {a} to {b}.", "Bye bye {a}, it's {b} every morning now."],
     "What is {P}'s usual coffee order now?", "What coffee did {P} switch to from {a}?", None),
    ("diet", "both", ["vegetarian", "vegan", "pescatarian", "flexitarian", "dairy-free", "gluten-free"],
     ["I've gone {a} this year and I feel great.", "I'm {a} these days, it's easier than I expected."],
     ["I've stopped being {a}, I'm {b} now.", "Being {a} wasn't working, so I'm {b} now."],
     "What diet does {P} follow now?", "What did {P} become after stopping being {a}?", None),
    ("phone", "both",
     ["Pixel 8", "iPhone 15", "Galaxy S24", "Fairphone 5", "Nothing Phone 2", "OnePlus 12", "Xperia 10"],
     ["My next phone is going to be the {a}, I've decided.", "I've got my eye on the {a} for my next phone."],
     ["I was set on the {a} but I've decided on the {b} instead.",
      "Not getting the {a} now, the {b} has better battery life."],
     "Which phone has {P} decided on in the end?", "Which phone did {P} choose over the {a}?", None),
    ("car", "both",
     ["Toyota Yaris", "Kia Niro", "Tesla Model 3", "VW Golf", "Honda Jazz", "Skoda Octavia", "Nissan Leaf",
      "Renault Zoe"],
     ["I think I'm going to replace the old car with a {a}.", "Test drove a {a} and I'm sold, that's my next car."],
     ["Not getting the {a} after all, I'm going for a {b}.", "Changed my mind on the car, a {b} rather than the {a}."],
     "Which car is {P} getting in the end?", "Which car did {P} prefer over the {a}?", None),
    ("birthday", "both",
     ["The Crown and Anchor", "The Old Bell", "The Fox and Hounds", "The Red Lion", "The Swan", "The Kings Arms",
      "The Hop", "The Brewery Tap"],
     ["I'm going to have my birthday drinks at {a}.", "Birthday drinks will be at {a}, save the date."],
     ["Birthday drinks have moved from {a} to {b}, they've got a private room.",
      "Slight change: my birthday is at {b} now, {a} was fully booked."],
     "Where are {P}'s birthday drinks going to be now?", "Where did {P} move the birthday drinks to from {a}?",
     "birthday"),
    ("show", "both",
     ["Severance", "The Bear", "Slow Horses", "Shogun", "Blue Lights", "The Traitors", "Taskmaster", "Happy Valley"],
     ["My favourite show right now is {a}, I've watched it twice.",
      "Have you seen {a}? Best thing on TV at the moment."],
     ["I've dropped {a}, {b} is the best show on TV.", "{B} has taken over from {a} as my favourite show."],
     "What is {P}'s favourite TV show at the moment?", "Which show did {P} prefer after dropping {a}?", None),
    ("commute", "both", ["by bike", "by bus", "by train", "on foot", "by car", "by e-scooter"],
     ["I've been getting to work {a} lately.", "I go to work {a} most days now."],
     ["I've stopped going to work {a}, I go {b} now.", "Switched my commute from {a} to {b}, so much less stressful."],
     "How does {P} get to work now?", "After no longer commuting {a}, how does {P} get to work?", None),
    ("house_area", "Tom", ["Chapel Allerton", "Meanwood", "Roundhay", "Horsforth", "Kirkstall", "Otley"],
     ["Sam and I are looking at houses in {a}, we love it there.", "We've started house-hunting in {a}."],
     ["We've given up on {a}, we're house-hunting in {b} now.",
      "{B} is where we want to buy now, {a} is just too pricey."],
     "Which area are Tom and Sam hoping to buy a house in now?",
     "Which area did Tom and Sam look at after giving up on {a}?", None),
    ("paint", "both",
     ["sage green", "navy blue", "terracotta", "mustard yellow", "dusky pink", "charcoal grey", "duck-egg blue"],
     ["I'm painting the living room {a} this month.", "The living room is going to be {a}, I've bought tester pots."],
     ["Scrapped the {a} idea, the living room is going to be {b}.", "Living room update: {b}, not {a}."],
     "What colour is {P} painting the living room now?", "What colour did {P} choose after scrapping {a}?", None),
    ("tea", "both",
     ["Earl Grey", "peppermint tea", "builder's tea", "green tea", "rooibos", "lapsang souchong", "jasmine tea"],
     ["I'm drinking {a} all day at the moment.", "{A} is my go-to tea right now."],
     ["I've gone off {a}, {b} is my go-to now.", "Swapped {a} for {b}, don't judge me."],
     "What is {P}'s go-to tea now?", "What tea did {P} switch to from {a}?", None),
    ("board_game", "both", ["Catan", "Ticket to Ride", "Wingspan", "Codenames", "Carcassonne", "Azul", "Pandemic"],
     ["{A} is my favourite board game, we play it every Friday.", "Nothing beats {a} for a games night."],
     ["I've got bored of {a}, {b} is my favourite game now.", "{B} has replaced {a} at our games nights."],
     "What is {P}'s favourite board game now?", "Which board game did {P} prefer after getting bored of {a}?", None),
    ("goal", "both",
     ["a half marathon", "a full marathon", "a sprint triathlon", "a 100-mile bike ride", "the Three Peaks Challenge",
      "an ultramarathon", "a sub-50-minute 10k"],
     ["My big goal for this year is {a}.", "I've signed up to train for {a}, that's the big goal."],
     ["I've changed my goal from {a} to {b}.", "New plan: {b} instead of {a}."],
     "What is {P}'s big fitness goal now?", "What did {P} change the fitness goal to from {a}?", None),
    ("podcast", "both",
     ["The Rest Is History", "Desert Island Discs", "No Such Thing As A Fish", "Serial", "Off Menu", "Radiolab",
      "The Diary of a CEO"],
     ["I'm hooked on {a}, I listen on every walk.", "{A} is my favourite podcast at the moment."],
     ["I've stopped listening to {a}, I'm hooked on {b} now.", "{B} has replaced {a} as my favourite podcast."],
     "Which podcast is {P} hooked on now?", "Which podcast replaced {a} for {P}?", None),
    ("streaming", "both", ["Netflix", "Disney+", "Prime Video", "Apple TV+", "BritBox", "Paramount+"],
     ["The only streaming service I pay for is {a}.", "I've just got {a}, that's my one subscription."],
     ["Cancelled {a} and signed up for {b} instead.", "I'm on {b} now, {a} got too expensive."],
     "Which streaming service does {P} pay for now?", "Which streaming service did {P} switch to after cancelling {a}?",
     None),
    ("breakfast", "both",
     ["porridge", "granola", "eggs on toast", "overnight oats", "a smoothie", "peanut butter on crumpets"],
     ["Breakfast is {a} every day at the moment.", "I'm having {a} for breakfast every morning."],
     ["I've gone off {a}, it's {b} for breakfast now.", "Breakfast has changed from {a} to {b}."],
     "What does {P} have for breakfast these days?", "What did {P} switch to for breakfast instead of {a}?", None),
]  # fmt: skip

_CHAIN_VALUES: dict[str, list[str]] = {topic[0]: topic[2] for topic in CHAIN_TOPICS}
BIRTHDAYS = {"Maya": date(2025, 6, 14), "Tom": date(2025, 11, 3)}

# Facts about Maya and Tom that never change: (owner, text, keyword q, paraphrase q, answer)
STATIC_FACTS = [
    ("Maya", "I'm allergic to penicillin, found out the hard way when I was nine.",
     "What is Maya allergic to?", "Which medicine gives Maya a bad reaction?", "penicillin"),
    ("Maya", "I grew up in Whitby, you could see the abbey from our kitchen window.",
     "Where did Maya grow up with a view of the abbey from the kitchen window?", "What is Maya's hometown?", "Whitby"),
    ("Maya", "My cat Miso knocked a full mug of coffee onto my keyboard.",
     "What is the name of Maya's cat that knocked coffee onto the keyboard?", "What is Maya's feline called?", "Miso"),
    ("Maya", "My birthday is on the fourteenth of June, I'm thinking of doing a picnic.",
     "When is Maya's birthday?", "On what date was Maya born?", "the fourteenth of June"),
    ("Maya", "My parents still live in Scarborough, in the same house by the sea.",
     "Where do Maya's parents still live?", "In which town do Maya's mum and dad reside?", "Scarborough"),
    ("Tom", "I'm allergic to shellfish, even a prawn cracker sets me off.",
     "What is Tom allergic to?", "Which kind of seafood does Tom react badly to?", "shellfish"),
    ("Tom", "I grew up in Stroud, right on the edge of the Cotswolds.",
     "Where did Tom grow up on the edge of the Cotswolds?", "What is Tom's hometown?", "Stroud"),
    ("Tom", "I've taught chemistry at Hollybrook Academy for six years now.",
     "Where has Tom taught chemistry for six years?", "Which school employs Tom as a science educator?",
     "Hollybrook Academy"),
    ("Tom", "My partner Sam is a paramedic, she's on night shifts all week.",
     "What does Tom's partner Sam do?", "What is the occupation of Tom's girlfriend?", "paramedic"),
    ("Tom", "My birthday is the third of November, so don't forget this year.",
     "When is Tom's birthday?", "On what date was Tom born?", "the third of November"),
]  # fmt: skip

# One-off dated events: (owner, category, text with {when}, keyword q, paraphrase q, answer,
# temporal question with {period}, temporal answer)
MILESTONES = [
    ("Maya", "driving_test", "I passed my driving test {when}! Only two minors, I still can't believe it.",
     "How many minors did Maya get when she passed her driving test?",
     "How many small faults were marked against Maya when she qualified for her licence?", "two",
     "What did Maya pass {period}?", "driving test"),
    ("Maya", "home_move", "Moved into the new flat on Cardigan Road {when}, my back is destroyed from carrying boxes.",
     "Which road is Maya's new flat on?", "What street did Maya relocate to?", "Cardigan Road",
     "Where did Maya move to {period}?", "Cardigan Road"),
    ("Maya", "new_job", "First day at Quillon Labs {when}, the new team seems lovely so far.",
     "Where did Maya have her first day with the new team?", "Which company is Maya's new employer?", "Quillon Labs",
     "Where did Maya start a new job {period}?", "Quillon Labs"),
    ("Tom", "adoption", "We picked up our rescue greyhound {when}, we've named her Juniper.",
     "What did Tom name the rescue greyhound?", "What is the name of the canine Tom adopted?", "Juniper",
     "What did Tom adopt {period}?", "rescue greyhound"),
    ("Tom", "engagement", "I proposed to Sam at the top of Arthur's Seat {when} and she said yes!",
     "Where did Tom propose to Sam?", "At what spot did Tom ask Sam to marry him?", "Arthur's Seat",
     "What big news did Tom share about Sam {period}?", "proposed to Sam"),
    ("Tom", "piano_exam", "Passed my grade five piano exam {when}, with a merit!",
     "What result did Tom get in his grade five piano exam?",
     "How well did Tom do in the keyboard instrument assessment?", "a merit",
     "What exam did Tom pass {period}?", "grade five piano"),
]  # fmt: skip

TEMPORAL_TEMPLATES = {
    "trip": ["Where did {P} travel {period}?", "Where was {P} travelling {period}?",
             "Which place did {P} visit {period}?"],
    "course": ["What course did {P} start {period}?", "What did {P} start learning {period}?"],
    "concert": ["Which band did {P} see live {period}?", "What gig did {P} go to {period}?"],
    "doctor": ["What health problem did {P} see a doctor about {period}?",
               "Why did {P} have a medical appointment {period}?"],
    "hike": ["Where did {P} go hiking {period}?", "Which hill did {P} walk up {period}?"],
    "purchase": ["What did {P} buy {period}?", "What big purchase did {P} make {period}?"],
    "race": ["Which race did {P} run {period}?"],
    "wedding": ["Whose wedding did {P} go to {period}?"],
}  # fmt: skip

# Per person: how many events of each category.
EVENT_COUNTS = {"trip": 7, "course": 5, "concert": 6, "doctor": 5, "hike": 4, "purchase": 4, "race": 3, "wedding": 3}

# -- the world: small talk -------------------------------------------------------------------------

REACTIONS = {
    "trip": ["Sounds amazing, I'm so jealous.", "Welcome back! Did you bring me anything?",
             "Ooh, I've always wanted to go there.", "That sounds like exactly the break you needed.",
             "Right, I need to see all the photos."],
    "trip_plan": ["Ooh, exciting!", "You'll love it, I'm sure.", "Who are you going with?"],
    "course": ["Good for you, I'd love to learn something new.", "How many weeks does it run for?",
               "Ha, I can totally picture you doing that.", "That's brilliant, let me know how it goes."],
    "concert": ["So jealous, I haven't been to a gig in months.", "Were they any good live?",
                "Ha, your ears must still be ringing."],
    "doctor": ["Oh no, I hope it clears up soon.", "At least you know what it is now.",
               "Look after yourself, seriously."],
    "hike": ["You're braver than me.", "Sounds like a proper adventure.", "Were the views worth it?"],
    "purchase": ["Ooh, treat yourself.", "Very grown up.", "Nice, you've been talking about that for ages."],
    "race": ["That's so impressive!", "Rather you than me, well done!", "Are your legs okay?"],
    "wedding": ["Aw, that sounds lovely.", "Weddings are the best.", "Did you have to make a speech?"],
    "milestone": ["That's huge, congratulations!", "Amazing news!", "Oh wow, well done!"],
    "pet": ["Ha, that's hilarious.", "Pets are pure chaos.", "Please send me a photo."],
    "move": ["That's a big move!", "Wow, that's so far away.", "Will you go and visit?"],
    "job": ["That's brilliant news, tell them congratulations from me.", "Good for them!", "What a change!"],
    "hobby": ["Ha, I can't picture that at all.", "Fair play to them.", "That's such a random hobby, I love it."],
    "static": ["I never knew that!", "Oh really?", "Ha, that explains a lot."],
    "chain_first": ["Good choice.", "Ooh, nice.", "Fair enough, I can see why.", "Can't argue with that."],
    "chain": ["Fair enough.", "Really? You were so sure before!", "Makes sense to me.",
              "You change your mind every week, I love it.", "Ha, I'll believe it when I see it."],
}  # fmt: skip
FOLLOW_UPS = [
    "Yeah, I'm pretty pleased.", "We'll see how it goes.", "I'll keep you posted.", "Ha, yes.", "I know, right?",
    "Honestly, yes.", "It's been a week, I tell you.",
]  # fmt: skip

OPENERS = ["Hey {other}! How's it going?", "Hi {other}, got a minute?", "Morning {other}!",
           "Evening! How was your week?", "Hey, long time no chat!"]  # fmt: skip
OPENER_REPLIES = ["Hey! Good thanks, you?", "Always, what's up?", "Not bad at all. You?", "Busy but fine!"]
CLOSERS = ["Right, I'd better go, speak soon!", "Anyway, I should get back to it.", "I need to run, catch up soon?"]
CLOSER_REPLIES = ["Speak soon!", "Bye for now!", "Definitely, take care."]

SLOTS = {
    "weather": ["grey", "freezing", "windy", "muggy", "gorgeous", "miserable", "foggy", "drizzly", "bright but cold"],
    "weather_effect": ["soaked", "blown sideways", "sunburnt", "frozen solid", "stuck behind a gritter",
                       "splashed by a bus", "hailed on"],
    "work_adj": ["chaotic", "endless", "weirdly quiet", "a bit much", "non-stop", "a slog", "surprisingly fine"],
    "dinner": ["beans on toast", "leftover pasta", "a frozen pizza", "soup", "whatever is in the fridge", "a stir fry",
               "cheese on toast", "a jacket potato", "chips from the place on the corner"],
    "late_time": ["two", "three", "half one", "gone midnight", "four in the morning"],
    "thing": ["bike light", "washing machine", "laptop charger", "shower", "wobbly table", "doorbell", "kitchen tap",
              "car radio"],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "doc_generic": ["dentist", "GP", "hygienist", "physio", "flu jab"],
    "habit": ["barks at every single bus", "sits on our wall all day", "follows the postman around",
              "sunbathes in the middle of the pavement", "stares at me through the window"],
    "snack": ["crisps", "biscuits", "sweets", "mini sausage rolls", "olives", "chocolate buttons"],
    "chore": ["the ironing", "my tax return", "the recycling", "the bathroom", "the garden", "my emails"],
    "small_win": ["found a tenner in an old coat", "got a seat on the train", "fixed the shelf myself",
                  "remembered everyone's birthday this month", "got through my whole to-do list"],
    "gripe": ["the printer at work", "the wifi", "my neighbour's leaf blower", "the self-checkout machines",
              "the queue at the post office", "the heating controls"],
    "number": ["three", "four", "five", "six", "ten", "twelve"],
}  # fmt: skip

# Lines may offer alternatives separated by "|"; one is picked per use.
SMALL_TALK = [
    ["How was your {weekday}?|How's your week been?|How are things?",
     "Pretty quiet, to be honest. I mostly caught up on sleep.|Busy, but the good kind of busy.|"
     "Long. Very long.|Not bad, I got {chore} done at least.",
     "Honestly that sounds perfect.|Ha, fair.|I'll take that."],
    ["It's absolutely {weather} out there today.|Have you seen the weather? So {weather}.",
     "Tell me about it, I got {weather_effect} on the way in.|I know, I got {weather_effect} earlier."],
    ["Work has been {work_adj} this week.|This week at work has been {work_adj}.",
     "Oh no, is it the usual nonsense?|How come?|Sorry to hear that.",
     "Pretty much. Too many meetings.|Deadlines, mostly.|Same old, same old."],
    ["What are you having for dinner tonight?|What's for tea tonight?",
     "Probably {dinner}, I can't be bothered to cook anything fancy.|Thinking {dinner}, nothing exciting."],
    ["Did you sleep okay?|You sound tired.",
     "Not really, the neighbours were up until {late_time} again.|Barely, I was awake until {late_time}."],
    ["Have you watched anything good lately?|Seen anything good on telly?",
     "Not really, I keep falling asleep on the sofa by nine.|A few documentaries, nothing gripping.",
     "Same. We're getting old.|Ha, classic."],
    ["I need a holiday. A proper one.|I could really do with a break.",
     "Don't we all.|Same here.", "Somewhere warm with no emails.|Just a week with no alarms."],
    ["Did you see the news this morning?|Have you been following the news?",
     "Only the headlines, it all seems a bit grim.|I've been avoiding it, to be honest.",
     "Yeah, I've stopped reading it before bed.|Probably wise."],
    ["My inbox is a disaster.|I have {number} hundred unread emails.",
     "Declare email bankruptcy, delete everything.|Just archive the lot.", "Tempting, honestly.|Don't tempt me."],
    ["Are you around this weekend?|Are you free at the weekend?",
     "Saturday is busy but Sunday is free.|Maybe Sunday afternoon?|It's looking a bit full, sorry.",
     "Let's see how the week goes.|I'll message you."],
    ["I've been trying to drink more water.|I'm trying to eat less sugar.|I'm trying to go to bed earlier.",
     "How's that going?|Good luck with that.", "I keep forgetting, so badly.|About as well as you'd expect."],
    ["The trains were a mess again this morning.|The buses were all over the place today.",
     "Of course they were. Signalling problems?|Again? What happened this time?",
     "Apparently. Forty minutes late in the end.|Nobody knows. I gave up and walked."],
    ["I finally cleaned the fridge.|I finally did {chore}.",
     "Wow, big day.|Look at you being productive.", "A yoghurt from last month. RIP.|I deserve a medal."],
    ["I'm so tired today.|I'm running on empty today.", "Coffee?|Early night tonight?",
     "Already on my third.|That's the plan."],
    ["Have you got any plans for the bank holiday?|Doing anything nice this weekend?",
     "Not yet, probably just pottering around at home.|Nothing much, maybe a long walk if it's dry."],
    ["I think I'm coming down with something.|I've got the sniffles again.",
     "Oh no, get some rest.|Lemon and honey, immediately.", "I will, after this meeting.|Yes, doctor."],
    ["Did you ever fix your {thing}?|Is your {thing} still broken?",
     "Sort of. It works if you hit it in the right place.|Nope, I've just learned to live with it."],
    ["My mum rang for an hour last night.|My dad sent me {number} voice notes this morning.",
     "Everything okay?|What about?", "Yes, just the neighbours' hedge again.|Mostly the weather, as usual."],
    ["I bought way too many {snack} for tonight.|I've eaten all the {snack} already.",
     "There's no such thing as too many {snack}.|Ha, no regrets though."],
    ["Have you read anything good recently?|What are you reading at the moment?",
     "I started a few things but nothing grabbed me.|Nothing, I keep scrolling instead."],
    ["The heating's broken again.|The boiler is making that noise again.",
     "Nightmare. Have you called the landlord?|Oh no, not again.", "Three times. Still waiting.|Yep, no reply."],
    ["I keep meaning to sort out my photos.|My phone storage is full again.",
     "Same, I've got about twenty thousand on my phone.|Delete some of the screenshots."],
    ["It's been ages since we had a proper catch-up.|We should meet up properly soon.",
     "I know, life's been mad.|Definitely.", "We should fix that.|Let's put a date in."],
    ["I tried a new recipe last night.|I attempted a curry from scratch yesterday.",
     "How did it turn out?|Ooh, success?", "Edible. Just about.|Surprisingly good, actually."],
    ["I'm thinking of getting a haircut.|I need a haircut so badly.",
     "Go for it, something drastic!|Book it today.", "Maybe just a trim.|We'll see."],
    ["Did you get my message earlier?|Did you see what I sent you?",
     "Yes, sorry, I was in a meeting. All good!|Yes! Made me laugh."],
    ["The traffic was horrendous this morning.|Took me an hour to get anywhere today.",
     "Roadworks again?|Was there an accident?", "Always roadworks.|No idea, it just never moved."],
    ["I've got a pile of laundry the size of a small mountain.|I really need to do {chore}.",
     "Ha, me too, that's a weekend job.|Tomorrow's problem."],
    ["Any news from your side?|What's new with you?",
     "Not much, it's been a quiet few days.|Nothing exciting, honestly.", "Quiet is good sometimes.|Fair enough."],
    ["I've started getting up earlier.|I've been going to bed at ten like a pensioner.",
     "Voluntarily?|How's that working out?", "Sort of. The birds start at five.|Weirdly, I love it."],
    ["Are you still on that group chat?|The group chat has been wild today.",
     "Unfortunately. It's ninety percent memes.|I muted it weeks ago."],
    ["Happy {today}!|Is it really {today} already?", "Is it? I've completely lost track of the days.|Ha, it is."],
    ["How's the family?|How are your lot?", "All good, thanks. Busy as ever.|Fine, apart from the usual dramas."],
    ["I'm trying to spend less time on my phone.|I've deleted social media off my phone.",
     "How's that going?|Good for you.", "I checked it four times during this sentence.|It lasted two days."],
    ["Remind me to send you that link later.|I found a video you'll love.", "Which link?|Send it over!",
     "I've already forgotten. Classic.|Doing it now."],
    ["Is it just me or is everything more expensive?|Prices are getting silly.",
     "It's not just you. A sandwich cost me six pounds today.|I know, the weekly shop is painful now."],
    ["I had the weirdest dream last night.|I dreamt I was back at school.", "Go on.|Oh no.",
     "I was late for an exam I'd never studied for.|I'd forgotten my shoes, naturally."],
    ["Did you watch the match?|Did you catch the football?",
     "Only the second half, it was painful.|Missed it, how was it?",
     "Yeah, we deserved to lose.|Painful. Don't ask."],
    ["Sorry I was quiet earlier, I was on a call.|Sorry, slow reply, I was driving.", "No worries at all.|All good!"],
    ["My plants are dying again.|I killed another cactus.", "Are you watering them?|How is that even possible?",
     "Apparently too much.|I'm a menace."],
    ["I need to do a big food shop.|The fridge is completely empty.",
     "Make a list or you'll come back with {snack} only.|Order it online.", "Too late, I know myself.|Good shout."],
    ["Our landlord wants to put the rent up again.|The rent is going up again.", "Of course he does.|Seriously?",
     "I'm going to have words.|Yep, another fifty a month."],
    ["What are you up to tonight?|Any plans tonight?",
     "Nothing much, maybe a bath and an early night.|Just {chore}, thrilling stuff."],
    ["I've lost my keys twice this week.|I locked myself out this morning.",
     "Get one of those tracker things.|Oh no, how did you get in?", "I'd lose that too.|My neighbour has a spare."],
    ["Small victory today: I {small_win}.|Good news, I {small_win}.", "Love that for you.|Ha, the little things.",
     "Honestly, it made my day."],
    ["Can I have a moan about {gripe}?|I'm losing my mind over {gripe}.", "Go on, moan away.|What's it done now?",
     "It just refuses to work when I need it.|Everything, as usual."],
    ["Do you want to get a coffee next week?|Fancy lunch one day next week?", "Yes please, Thursday?|Always.",
     "Thursday works.|Perfect, I'll book somewhere."],
    ["I've been listening to so many podcasts lately.|I've got back into audiobooks.", "Any recommendations?|Nice!",
     "Too many to list, I'll send you some.|Mostly true crime, sorry."],
]  # fmt: skip

# Distractors: reuse the world's names in sentences that state none of the facts asked about.
DISTRACTORS = [
    ["Have you ever been to {city}?|Would you ever go to {city}?",
     "Not yet, but everyone keeps recommending it.|Maybe one day, it looks lovely.|Never been, is it nice?",
     "It's on my list too.|Supposedly it's great."],
    ["I walked past {restaurant} on the way home, the queue was out the door.|"
     "{restaurant} had a queue round the block.",
     "It's always like that on a {weekday}.|Must be good then."],
    ["Someone at work keeps telling me to try {a_course} course.|I saw an advert for {a_course} course.",
     "You should, it sounds fun.|Ha, would you actually go?", "Maybe one day.|Probably not, if I'm honest."],
    ["There's a {species} on our street that {habit}.", "Ha, every street has one of those.|Iconic behaviour."],
    ["Someone at work keeps going on about {band}.|Have you heard of {band}?",
     "Never heard of them, are they any good?|Vaguely, my cousin likes them.",
     "No idea, I haven't listened yet.|Apparently they're big now."],
    ["{cast} says hi, by the way.|Bumped into {cast} earlier, they say hello.", "Aw, say hi back from me!|Ah, lovely."],
    ["How's {cast} doing these days?|Have you heard from {cast} lately?",
     "Good I think, busy as ever.|Not for a few weeks, actually."],
    ["I was chatting to {cast} about holidays the other day.", "Oh yeah? Where's everyone going this year?",
     "Nobody can decide, as usual.|Everyone wants somewhere hot."],
    ["My friend wants to move to {city} but it's so expensive.|Imagine living in {city}.",
     "Everywhere is expensive now.|One day, maybe."],
    ["I saw a poster for a gig at {venue}.|There's a gig at {venue} next month.", "Anyone good?|Tempted?",
     "Some band I'd never heard of.|Not really my thing."],
    ["{peak} is supposed to be lovely this time of year.|Someone at work walked up {peak} last year.",
     "Only if the weather holds.|Rather them than me."],
    ["I really need to book a {doc_generic} appointment at some point.|"
     "I keep putting off my {doc_generic} appointment.",
     "Don't leave it too long.|Just book it!", "I know, I know.|Tomorrow, I promise."],
    ["Have you tried {restaurant}?|Is {restaurant} any good?", "Once, ages ago. It was fine.|Never been, sorry.",
     "Fair, I've heard mixed things.|I'll give it a go sometime."],
    ["I keep getting adverts for the {phone}.|Everyone on the bus seemed to have the {phone} today.",
     "The algorithm knows you too well.|Ha, it's a sign."],
    ["Someone recommended a book by {author} to me.|There's a new book out by {author}.", "Any good?|Ooh.",
     "Haven't started it yet.|No idea yet."],
    ["My colleague just got back from {dest}.|A friend of a friend is off to {dest} next week.",
     "Lucky thing. Did they like it?|Jealous.", "Loved it, apparently.|I think so, yes."],
    ["The {course} class at the community centre is full again.",
     "Everyone's doing it this year.|Ha, of course it is."],
    ["Do you know anyone who's {a_job}? I've got a question for one.",
     "Not off the top of my head, sorry.|Let me think."],
    ["I saw a {species} called {petname} on a rescue website.",
     "Cute name! Are you tempted?", "Very, but no.|A little."],
    ["Is {race} this year or next?", "No idea, I've never been organised enough to enter.|Not sure, check online."],
    ["I'd love to go to a wedding at {wvenue}.", "Same, it looks so romantic in the photos.|One day!"],
    ["My sister keeps sending me videos of {hobby}.", "Honestly, the best part of the internet.|Ha, why?"],
]  # fmt: skip

DISCOURSE_MARKERS = ["Honestly, ", "To be fair, ", "Ugh, ", "Oh, ", "Haha, ", "Right, ", "Well, ", "So, ",
                     "Mind you, ", "Okay so ", "Hmm, ", "Ah, ", "Listen, ", "Oh god, ", "Ooh, "]  # fmt: skip
#: Lines starting like this get no discourse marker in front ("Well, oh no" reads badly).
INTERJECTIONS = ("Oh", "Ha", "Ooh", "Aw", "Wow", "Ugh", "Okay", "Yes", "No", "Not", "Same", "Hmm", "Ah", "Honestly",
                 "Right", "Well", "So ", "Always", "Yep", "Nope", "Fair", "Good", "Nice", "Cute", "Love",
                 "Lucky")  # fmt: skip
TAGS = [" haha", " to be honest", ", I think", ", you know", " though", " anyway", " lol", ", if I'm honest",
        ", seriously", " by the way"]  # fmt: skip

NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


# -- building blocks --------------------------------------------------------------------------------


def _fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def _a(phrase: str) -> str:
    """The phrase with its indefinite article: "an Italian", "a guitar"."""
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _other(speaker: str) -> str:
    return SPEAKERS[1] if speaker == SPEAKERS[0] else SPEAKERS[0]


@dataclass(eq=False)
class _Fact:
    """One turn that states something a question asks about."""

    owner: str
    template: str  # may still hold {when} and {days}
    reaction: str
    session: int
    timing: str | None = None  # None, "point" (happened on one day) or "trip" (the days before the session)
    night: bool = False  # a point event in the evening ("last night")
    days: int = 0
    text: str = ""
    turn_id: str = ""
    start: date | None = None
    end: date | None = None


@dataclass(eq=False)
class _Event:
    """A dated event of Maya's or Tom's: one fact plus its question material."""

    person: str
    category: str  # temporal category: events of one category by one person never share a period
    fact: _Fact
    keyword: tuple[str, str]  # (question, answer)
    paraphrase: tuple[str, str]
    temporal: list[str]  # templates with {period}
    temporal_answer: str


class _Planner:
    """Chooses sessions for facts, keeping the sessions roughly evenly loaded."""

    def __init__(self, rng: random.Random, dates: Sequence[date]) -> None:
        self.rng = rng
        self.dates = dates
        self.load = [0] * (len(dates) + 1)

    def sessions(self, count: int, *, window: tuple[date, date] | None = None, min_gap: int = 1) -> list[int]:
        """`count` distinct sessions in increasing order, `min_gap` apart when possible, least loaded first."""
        candidates = [i + 1 for i, d in enumerate(self.dates) if window is None or window[0] <= d <= window[1]]
        if len(candidates) < count:
            raise ValueError("not enough sessions in the window")
        best: list[int] | None = None
        best_cost = None
        for _ in range(24):
            picked = sorted(self.rng.sample(candidates, count))
            gaps_ok = all(b - a >= min_gap for a, b in itertools.pairwise(picked))
            cost = sum(self.load[s] for s in picked) + (0 if gaps_ok else 1000)
            if best_cost is None or cost < best_cost:
                best, best_cost = picked, cost
        assert best is not None
        for s in best:
            self.load[s] += 1
        return best


def _session_dates(rng: random.Random) -> list[date]:
    dates = [FIRST_SESSION]
    while len(dates) < N_SESSIONS:
        dates.append(dates[-1] + timedelta(days=rng.randint(6, 16)))
    return dates


# -- the world's facts ------------------------------------------------------------------------------


@dataclass
class _World:
    facts: list[_Fact] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)
    static: list[tuple[_Fact, str, str, str]] = field(default_factory=list)  # fact, keyword q, paraphrase q, answer
    cast_facts: list[tuple[_Fact, tuple[str, str], tuple[str, str]]] = field(default_factory=list)
    multi_hop: list[tuple[str, list[_Fact], str]] = field(default_factory=list)  # question, evidence, answer
    change_questions: list[tuple[str, _Fact, list[_Fact], str]] = field(default_factory=list)

    def add(self, fact: _Fact) -> _Fact:
        self.facts.append(fact)
        return fact


def _build_world(rng: random.Random, dates: list[date]) -> _World:
    world = _World()
    plan = _Planner(rng, dates)
    _add_static(world, plan, rng)
    _add_cast(world, plan, rng)
    _add_events(world, plan, rng)
    _add_chains(world, plan, rng, dates)
    return world


def _add_static(world: _World, plan: _Planner, rng: random.Random) -> None:
    early = (FIRST_SESSION, FIRST_SESSION + timedelta(days=200))
    for owner, text, kq, pq, answer in STATIC_FACTS:
        (session,) = plan.sessions(1, window=early)
        fact = world.add(_Fact(owner, text, "static", session))
        world.static.append((fact, kq, pq, answer))


def _add_cast(world: _World, plan: _Planner, rng: random.Random) -> None:
    cities = rng.sample(MOVE_CITIES, len(CAST))
    species = rng.sample(CAST_SPECIES, len(CAST))
    pets = rng.sample(PET_NAMES, len(CAST))
    jobs = rng.sample(JOBS, len(CAST))
    hobbies = rng.sample(HOBBIES, len(CAST))
    for i, (name, gender) in enumerate(CAST):
        owner = SPEAKERS[i % 2]
        subj, obj, pos = PRONOUNS[gender]
        rel = rng.choice(RELATIONS[gender])
        city, kind, pet = cities[i], species[i], pets[i]
        job, job_para, employer = jobs[i]
        hobby, hobby_para = hobbies[i]
        reason = _fill(rng.choice(MOVE_REASONS), pos=pos)
        s_move, s_pet, s_job, s_hobby = rng.sample(plan.sessions(4, min_gap=2), 4)

        move = world.add(_Fact(owner, rng.choice([
            f"My {rel} {name} is moving to {city} {reason}, the removal van is booked for next month.",
            f"Big news from {name}, my {rel}: {subj} is moving to {city} {reason}.",
            f"{name} is packing up and moving to {city} {reason}, I'm going to miss {obj} so much.",
        ]), "move", s_move))  # fmt: skip
        detail = rng.choice(PET_DETAILS)
        pet_fact = world.add(_Fact(owner, rng.choice([
            f"{name}'s {kind} {pet} {detail}.",
            f"{name} sent me a photo of {pos} {kind} {pet}, who {detail}.",
            f"Apparently {pet}, {name}'s {kind}, {detail}.",
        ]), "pet", s_pet))  # fmt: skip
        job_fact = world.add(_Fact(owner, rng.choice([
            f"{name} got the job! {_cap(subj)} starts as {_a(job)} at {employer} in a couple of weeks.",
            f"My {rel} {name} just accepted an offer to work as {_a(job)} at {employer}.",
            f"{name} is going to be {_a(job)} at {employer}, {subj} signed the contract yesterday.",
        ]), "job", s_job))  # fmt: skip
        hobby_fact = world.add(_Fact(owner, rng.choice([
            f"{name} has got really into {hobby}, {subj} does it three evenings a week now.",
            f"Apparently {name} has taken up {hobby}, which I did not see coming.",
            f"My {rel} {name} is obsessed with {hobby}, {subj} talks about nothing else.",
        ]), "hobby", s_hobby))  # fmt: skip

        para_kind = rng.choice(SPECIES[kind])
        world.cast_facts += [
            (move, (f"Which city is {name} moving to {reason}?", city),
             (rng.choice([f"Where is {name} relocating?", f"Where will {name} live after the relocation?"]), city)),
            (pet_fact, (f"What is the name of {name}'s {kind}?", pet), (f"What is {name}'s {para_kind} called?", pet)),
            (job_fact, (f"Where is {name} going to work as {_a(job)}?", employer),
             (f"Which organisation has hired {name} as {_a(job_para)}?", employer)),
            (hobby_fact, (f"Which of {owner}'s friends or family is into {hobby}?", name),
             (f"Who in {owner}'s circle has a new pastime of {hobby_para}?", name)),
        ]  # fmt: skip

        # Two hops: identify the person by one fact, ask for another.
        ident = {
            "move": (move, f"the person who moved to {city}"),
            "pet": (pet_fact, f"the person whose {kind} is called {pet}"),
            "job": (job_fact, f"the person who works as {_a(job)}"),
            "hobby": (hobby_fact, f"the person who took up {hobby}"),
        }
        target = {
            "move": (move, "Which city did {ident} move to?", city),
            "pet": (pet_fact, f"What is the name of the {kind} owned by {{ident}}?", pet),
            "job": (job_fact, "What job does {ident} have?", job),
            "hobby": (hobby_fact, "What hobby did {ident} take up?", hobby),
        }
        targets = rng.sample(sorted(target), 3)
        for t in targets:
            source = rng.choice([k for k in sorted(ident) if k != t])
            id_fact, id_phrase = ident[source]
            t_fact, t_question, answer = target[t]
            world.multi_hop.append((_fill(t_question, ident=id_phrase), [id_fact, t_fact], answer))


def _add_events(world: _World, plan: _Planner, rng: random.Random) -> None:
    trips = rng.sample(TRIPS, 2 * EVENT_COUNTS["trip"])
    courses = rng.sample(COURSES, 2 * EVENT_COUNTS["course"])
    concerts = rng.sample(CONCERTS, 2 * EVENT_COUNTS["concert"])
    visits = rng.sample(DOCTOR_VISITS, 2 * EVENT_COUNTS["doctor"])
    hikes = rng.sample(HIKES, 2 * EVENT_COUNTS["hike"])
    purchases = rng.sample(PURCHASES, 2 * EVENT_COUNTS["purchase"])
    races = rng.sample(RACES, 2 * EVENT_COUNTS["race"])
    weddings = rng.sample(WEDDINGS, 2 * EVENT_COUNTS["wedding"])
    for p, P in enumerate(SPEAKERS):

        def take(pool: list, category: str, p: int = p) -> list:
            n = EVENT_COUNTS[category]
            return pool[p * n : (p + 1) * n]

        def event(template: str, reaction: str, session: int, *, timing: str = "point", night: bool = False,
                  days: int = 0, P: str = P) -> _Fact:  # fmt: skip
            return world.add(_Fact(P, template, reaction, session, timing=timing, night=night, days=days))

        def sessions(category: str, *, skip_first: bool = False) -> list[int]:
            # a trip happens in the days before the session that reports it, so never before session 1
            start = plan.dates[1] if skip_first else FIRST_SESSION
            return plan.sessions(EVENT_COUNTS[category], window=(start, date(2100, 1, 1)), min_gap=2)

        for (dest, highlight, para), s in zip(take(trips, "trip"), sessions("trip", skip_first=True), strict=True):
            fact = event(rng.choice([
                f"Just got back from {{days}} days in {dest}, {highlight} was the best part.",
                f"Back from {dest} yesterday! {_cap(highlight)} made the whole trip.",
                f"{_cap(dest)} was wonderful, {{days}} days wasn't nearly enough. {_cap(highlight)} was unforgettable.",
            ]), "trip", s, timing="trip", days=rng.randint(3, 7))  # fmt: skip
            world.events.append(_Event(P, "trip", fact, (f"Where was {P} {highlight}?", dest),
                                       (f"On which vacation did {P} enjoy {para}?", dest),
                                       TEMPORAL_TEMPLATES["trip"], dest))  # fmt: skip
            if rng.random() < 0.6 and s > 2:  # an earlier turn announcing the trip: a stale-sounding distractor
                before = rng.randint(max(1, s - 4), s - 1)
                plan.load[before] += 1
                world.add(_Fact(P, rng.choice([
                    f"I'm off to {dest} soon, can't wait.",
                    f"Booked a few days in {dest}, first proper break in ages.",
                ]), "trip_plan", before))  # fmt: skip
        for (course, para, venue), s in zip(take(courses, "course"), sessions("course"), strict=True):
            detail = rng.choice(COURSE_DETAILS)
            fact = event(rng.choice([
                f"I started {_a(course)} course at {venue} {{when}}, {detail}.",
                f"First {course} class at {venue} was {{when}}, {detail}.",
                f"Signed up for {course} at {venue} and the first session was {{when}}, {detail}.",
            ]), "course", s)  # fmt: skip
            world.events.append(
                _Event(
                    P,
                    "course",
                    fact,
                    (f"Where is {P} taking the {course} course?", venue),
                    (f"Where is {P} studying {para}?", venue),
                    TEMPORAL_TEMPLATES["course"],
                    course,
                )
            )
        venues = rng.sample(CONCERT_VENUES, EVENT_COUNTS["concert"])
        for (band, genre, para), venue, s in zip(take(concerts, "concert"), venues, sessions("concert"), strict=True):
            fact = event(rng.choice([
                f"Saw {band} at {venue} {{when}}, best {genre} gig I've been to in ages.",
                f"{band} at {venue} {{when}} was incredible, I didn't know {genre} could be that much fun live.",
                f"We went to see {band} play {venue} {{when}}, proper {genre} heaven.",
            ]), "concert", s, night=True)  # fmt: skip
            world.events.append(_Event(P, "concert", fact, (f"Which band did {P} see at {venue}?", band),
                                       (f"Which {para} act did {P} watch perform?", band),
                                       TEMPORAL_TEMPLATES["concert"], band))  # fmt: skip
        for visit, s in zip(take(visits, "doctor"), sessions("doctor"), strict=True):
            complaint, c_para, doc, d_para, diagnosis = visit
            fact = event(rng.choice([
                f"Saw the {doc} about my {complaint} {{when}}, turns out it's {diagnosis}.",
                f"Went to the {doc} {{when}} about my {complaint}, they said it's {diagnosis}.",
            ]), "doctor", s)  # fmt: skip
            world.events.append(_Event(P, "doctor", fact,
                                       (f"What did the {doc} say about {P}'s {complaint}?", diagnosis),
                                       (f"What was {P}'s diagnosis from the {d_para} for the {c_para}?", diagnosis),
                                       TEMPORAL_TEMPLATES["doctor"], complaint))  # fmt: skip
        details = rng.sample(HIKE_DETAILS, EVENT_COUNTS["hike"])
        for peak, (detail, d_para), s in zip(take(hikes, "hike"), details, sessions("hike"), strict=True):
            fact = event(rng.choice([
                f"We hiked up {peak} {{when}} and {detail}.",
                f"Did {peak} {{when}}, {detail}, but the views were worth it.",
            ]), "hike", s)  # fmt: skip
            world.events.append(_Event(P, "hike", fact, (f"Which hill did {P} hike up when {detail}?", peak),
                                       (f"Which summit did {P} walk up when {d_para}?", peak),
                                       TEMPORAL_TEMPLATES["hike"], peak))  # fmt: skip
        for (item, desc, para), s in zip(take(purchases, "purchase"), sessions("purchase"), strict=True):
            fact = event(f"I finally bought {desc} {{when}}, {rng.choice(PURCHASE_DETAILS)}.", "purchase", s)
            world.events.append(
                _Event(
                    P,
                    "purchase",
                    fact,
                    (f"Which {item} did {P} finally buy?", desc),
                    (f"What {para} did {P} purchase?", desc),
                    TEMPORAL_TEMPLATES["purchase"],
                    desc,
                )
            )
        for (race, para, time), s in zip(take(races, "race"), sessions("race"), strict=True):
            fact = event(rng.choice([
                f"Ran {race} {{when}} in {time}, my legs are still complaining.",
                f"Finished {race} {{when}}, {time}, which I'm really happy with.",
            ]), "race", s)  # fmt: skip
            world.events.append(_Event(P, "race", fact, (f"What was {P}'s time in {race}?", time),
                                       (f"How long did it take {P} to finish the {para}?", time),
                                       TEMPORAL_TEMPLATES["race"], race))  # fmt: skip
        for (couple, venue), s in zip(take(weddings, "wedding"), sessions("wedding"), strict=True):
            detail = rng.choice(WEDDING_DETAILS)
            fact = event(f"{couple}'s wedding at {venue} was {{when}}, {detail}.", "wedding", s, night=True)
            world.events.append(_Event(P, "wedding", fact, (f"Where was {couple}'s wedding?", venue),
                                       (f"At what location did {couple} get married?", venue),
                                       TEMPORAL_TEMPLATES["wedding"], couple))  # fmt: skip
    for owner, category, text, kq, pq, answer, tq, t_answer in MILESTONES:
        (s,) = plan.sessions(1, window=(FIRST_SESSION + timedelta(days=60), date(2100, 1, 1)))
        fact = world.add(_Fact(owner, text, "milestone", s, timing="point"))
        world.events.append(_Event(owner, category, fact, (kq, answer), (pq, answer), [tq], t_answer))


def _add_chains(world: _World, plan: _Planner, rng: random.Random, dates: list[date]) -> None:
    for _key, who, values, first, change, now_q, replaced_q, window in CHAIN_TOPICS:
        people = SPEAKERS if who == "both" else (who,)
        picks = rng.sample(values, 3 * len(people))
        for i, person in enumerate(people):
            if window == "birthday":
                day = BIRTHDAYS[person]
                span = (day - timedelta(days=75), day - timedelta(days=1))
                states = 2
            elif window is not None:
                span = (date.fromisoformat(window[0]), date.fromisoformat(window[1]))
                states = 2
            else:
                span = None
                states = 3 if rng.random() < 0.8 else 2
            chosen = picks[3 * i : 3 * i + states]
            sessions = plan.sessions(states, window=span, min_gap=3 if span is None else 1)
            facts: list[_Fact] = []
            for n, (value, session) in enumerate(zip(chosen, sessions, strict=True)):
                if n == 0:
                    text = _fill(rng.choice(first), a=value, A=_cap(value))
                else:
                    old = chosen[n - 1]
                    text = _fill(rng.choice(change), a=old, A=_cap(old), b=value, B=_cap(value))
                facts.append(world.add(_Fact(person, text, "chain" if n else "chain_first", session)))
            world.change_questions.append((_fill(now_q, P=person), facts[-1], facts[:-1], chosen[-1]))
            if states == 3:
                world.change_questions.append(
                    (_fill(replaced_q, P=person, a=chosen[0]), facts[1], facts[:1], chosen[1])
                )


# -- rendering: dates, texts, sessions ---------------------------------------------------------------


def _render_fact(fact: _Fact, rng: random.Random, dates: list[date]) -> None:
    day = dates[fact.session - 1]
    gap = (day - dates[fact.session - 2]).days if fact.session > 1 else 7
    if fact.timing == "trip":
        days = max(2, min(fact.days, gap - 2))
        fact.end = day - timedelta(days=1)
        fact.start = fact.end - timedelta(days=days - 1)
        fact.text = _fill(fact.template, days=NUMBER_WORDS[days])
    elif fact.timing == "point":
        offset = rng.randint(1 if fact.night else 0, min(3, gap - 1))
        fact.start = fact.end = day - timedelta(days=offset)
        if offset == 0:
            when = rng.choice(["this evening", "earlier tonight"] if fact.night else ["today", "this morning"])
        elif offset == 1:
            when = "last night" if fact.night else "yesterday"
        else:
            when = "on " + WEEKDAYS[fact.start.weekday()]
        fact.text = _fill(fact.template, when=when)
    else:
        fact.text = fact.template
    fact.text = _cap(fact.text)


def _entity_slots(rng: random.Random) -> dict[str, str]:
    return {
        "city": rng.choice(MOVE_CITIES + [t[0] for t in TRIPS]),
        "dest": rng.choice([t[0] for t in TRIPS]),
        "restaurant": rng.choice(RESTAURANTS),
        "course": rng.choice(COURSES)[0],
        "species": rng.choice(sorted(SPECIES)),
        "band": rng.choice([c[0] for c in CONCERTS] + _CHAIN_VALUES["band"]),
        "cast": rng.choice(CAST)[0],
        "venue": rng.choice(CONCERT_VENUES),
        "peak": rng.choice(HIKES),
        "phone": rng.choice(_CHAIN_VALUES["phone"]),
        "author": rng.choice(_CHAIN_VALUES["author"]),
        "a_job": _a(rng.choice(JOBS)[0]),
        "a_course": _a(rng.choice(COURSES)[0]),
        "petname": rng.choice(PET_NAMES),
        "race": rng.choice(RACES)[0],
        "wvenue": rng.choice(WEDDINGS)[1],
        "hobby": rng.choice(HOBBIES)[0],
        **{k: rng.choice(v) for k, v in SLOTS.items()},
    }


def _vary(rng: random.Random, line: str) -> str:
    """A small-talk line as people type it: sometimes with a discourse marker in front or a tag at the end
    (so that chit-chat is not a handful of identical sentences repeated). Applied to templates, before
    their slots are filled, so that a name in front keeps its capital."""
    if rng.random() < 0.35 and not line.startswith(("{", *INTERJECTIONS)):
        keep = line.startswith(("I ", "I'", "OK"))
        line = rng.choice(DISCOURSE_MARKERS) + (line if keep else line[:1].lower() + line[1:])
    if rng.random() < 0.2 and line[-1:] in ".!" and line.count(" ") >= 3:
        line = line[:-1] + rng.choice(TAGS) + line[-1]
    return line


def _exchange(rng: random.Random, first: str, lines: list[str], day: date) -> list[tuple[str, str, _Fact | None]]:
    slots = _entity_slots(rng)
    slots["today"] = WEEKDAYS[day.weekday()]
    # Alternatives are written aligned (the i-th reply answers the i-th opening), so one index serves all lines.
    variant = rng.randrange(max(line.count("|") + 1 for line in lines))
    speaker, out = first, []
    for line in lines:
        options = line.split("|")
        chosen = options[variant] if variant < len(options) else rng.choice(options)
        out.append((speaker, _cap(_fill(_vary(rng, chosen), **slots)), None))
        speaker = _other(speaker)
    return out


def _fact_block(rng: random.Random, fact: _Fact) -> list[tuple[str, str, _Fact | None]]:
    block: list[tuple[str, str, _Fact | None]] = [(fact.owner, fact.text, fact)]
    block.append((_other(fact.owner), _cap(_vary(rng, rng.choice(REACTIONS[fact.reaction]))), None))
    if rng.random() < 0.4:
        block.append((fact.owner, _cap(_vary(rng, rng.choice(FOLLOW_UPS))), None))
    return block


def _build_sessions(rng: random.Random, dates: list[date], facts: list[_Fact]) -> list[Turn]:
    by_session: dict[int, list[_Fact]] = {}
    for fact in facts:
        by_session.setdefault(fact.session, []).append(fact)
    turns: list[Turn] = []
    for number, day in enumerate(dates, start=1):
        blocks = [_fact_block(rng, fact) for fact in by_session.get(number, [])]
        target = rng.randint(84, 100)
        size = sum(len(b) for b in blocks) + 4
        used: set[tuple[str, int]] = set()  # no exchange twice in one session
        while size < target:
            name, pool = ("distractor", DISTRACTORS) if rng.random() < 0.35 else ("small talk", SMALL_TALK)
            fresh = [i for i in range(len(pool)) if (name, i) not in used] or list(range(len(pool)))
            pick = rng.choice(fresh)
            used.add((name, pick))
            block = _exchange(rng, rng.choice(SPEAKERS), pool[pick], day)
            blocks.append(block)
            size += len(block)
        rng.shuffle(blocks)
        first = rng.choice(SPEAKERS)
        lines = [(first, _fill(rng.choice(OPENERS), other=_other(first)), None),
                 (_other(first), rng.choice(OPENER_REPLIES), None)]  # fmt: skip
        for block in blocks:
            lines += block
        last = rng.choice(SPEAKERS)
        lines += [(last, rng.choice(CLOSERS), None), (_other(last), rng.choice(CLOSER_REPLIES), None)]

        weekend = day.weekday() >= 5
        start_minute = rng.randint(10 * 60, 14 * 60) if weekend else rng.randint(18 * 60, 20 * 60 + 30)
        moment = datetime(day.year, day.month, day.day) + timedelta(minutes=start_minute)
        for index, (speaker, text, fact) in enumerate(lines, start=1):
            turn_id = f"s{number:02d}-t{index:03d}"
            turns.append(Turn(turn_id, number, speaker, moment.strftime("%Y-%m-%dT%H:%M:%SZ"), text))
            if fact is not None:
                fact.turn_id = turn_id
            moment += timedelta(seconds=rng.randint(20, 110))
    return turns


# -- questions ------------------------------------------------------------------------------------


def _months_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


SEASONS = [
    ("at the start of 2025", date(2025, 1, 1), date(2025, 2, 28)),
    ("in the spring of 2025", date(2025, 3, 1), date(2025, 5, 31)),
    ("in the summer of 2025", date(2025, 6, 1), date(2025, 8, 31)),
    ("in the autumn of 2025", date(2025, 9, 1), date(2025, 11, 30)),
    ("in the winter of 2025/26", date(2025, 12, 1), date(2026, 2, 28)),
    ("in the spring of 2026", date(2026, 3, 1), date(2026, 5, 31)),
]


def periods(start: date, end: date) -> list[tuple[str, str, date, date]]:
    """Every named period containing [start, end]: (granularity, phrase, first day, last day)."""
    out: list[tuple[str, str, date, date]] = []
    if (start.year, start.month) == (end.year, end.month):
        month, year = MONTHS[start.month - 1], start.year
        out.append(("month", f"in {month} {year}", start.replace(day=1), _months_end(year, start.month)))
        for name, lo, hi in (("early", 1, 10), ("mid-", 11, 20), ("late", 21, 31)):
            if lo <= start.day and end.day <= hi:
                phrase = f"in mid-{month} {year}" if name == "mid-" else f"in {name} {month} {year}"
                out.append(
                    (
                        "part",
                        phrase,
                        start.replace(day=lo),
                        min(start.replace(day=1) + timedelta(days=hi - 1), _months_end(year, start.month)),
                    )
                )
    for phrase, lo_day, hi_day in SEASONS:
        if lo_day <= start and end <= hi_day:
            out.append(("season", phrase, lo_day, hi_day))
    monday = start - timedelta(days=start.weekday())
    if end <= monday + timedelta(days=6):
        phrase = f"in the week of {monday.day} {MONTHS[monday.month - 1]} {monday.year}"
        out.append(("week", phrase, monday, monday + timedelta(days=6)))
    return out


PERIOD_WEIGHTS = {"month": 3, "part": 2, "season": 2, "week": 2}


def _temporal_questions(rng: random.Random, events: list[_Event]) -> list[Question]:
    questions = []
    for ev in events:
        fact = ev.fact
        assert fact.start is not None and fact.end is not None
        rivals = [e.fact for e in events if e.person == ev.person and e.category == ev.category and e is not ev]
        options = []
        for granularity, phrase, lo, hi in periods(fact.start, fact.end):
            clash = any(r.start is not None and r.end is not None and r.start <= hi and r.end >= lo for r in rivals)
            if not clash:
                options.append((granularity, phrase))
        if not options:
            continue
        weights = [PERIOD_WEIGHTS[g] for g, _ in options]
        _, phrase = rng.choices(options, weights=weights)[0]
        text = _fill(rng.choice(ev.temporal), P=ev.person, period=phrase)
        questions.append(Question("", "temporal", text, [fact.turn_id], ev.temporal_answer))
    return questions


def _questions(rng: random.Random, world: _World) -> list[Question]:
    out: list[Question] = []
    # keyword and paraphrase: the same facts, asked two ways
    pool: list[tuple[_Fact, tuple[str, str], tuple[str, str]]] = [
        (fact, (kq, answer), (pq, answer)) for fact, kq, pq, answer in world.static
    ]
    pool += [(ev.fact, ev.keyword, ev.paraphrase) for ev in world.events]
    pool += world.cast_facts
    chosen = sorted(rng.sample(range(len(pool)), min(KEYWORD_FACTS, len(pool))))
    for i in chosen:
        fact, (kq, ka), _ = pool[i]
        out.append(Question("", "keyword", kq, [fact.turn_id], ka))
    for i in chosen:
        fact, _, (pq, pa) = pool[i]
        out.append(Question("", "paraphrase", pq, [fact.turn_id], pa))
    out += _temporal_questions(rng, world.events)
    for question, facts, answer in world.multi_hop:
        out.append(Question("", "multi_hop", question, [f.turn_id for f in facts], answer))
    for question, fact, stale, answer in world.change_questions:
        out.append(Question("", "change_of_mind", question, [fact.turn_id], answer, [f.turn_id for f in stale]))
    counters: dict[str, int] = {}
    ordered = sorted(out, key=lambda q: KINDS.index(q.kind))  # stable: creation order within a kind
    for q in ordered:
        counters[q.kind] = counters.get(q.kind, 0) + 1
        q.qid = f"{q.kind}-{counters[q.kind]:03d}"
    return ordered


# -- entry points -----------------------------------------------------------------------------------


def generate(seed: int = DEFAULT_SEED) -> Dataset:
    """The whole dataset for `seed`; pure and deterministic."""
    rng = random.Random(seed)
    dates = _session_dates(rng)
    world = _build_world(rng, dates)
    for fact in world.facts:
        _render_fact(fact, rng, dates)
    turns = _build_sessions(rng, dates, world.facts)
    questions = _questions(rng, world)
    return Dataset(seed, [d.isoformat() for d in dates], turns, questions)


def write_jsonl(path: Path, rows: Iterable[object]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")  # type: ignore[call-overload]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the retrieval-quality dataset as JSON lines.")
    parser.add_argument("--out", type=Path, required=True, help="folder for turns.jsonl and questions.jsonl")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    data = generate(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out / "turns.jsonl", data.turns)
    write_jsonl(args.out / "questions.jsonl", data.questions)
    kinds: dict[str, int] = {}
    for q in data.questions:
        kinds[q.kind] = kinds.get(q.kind, 0) + 1
    span = f"{data.session_dates[0]} .. {data.session_dates[-1]}"
    print(f"seed {data.seed}: {len(data.turns)} turns in {len(data.session_dates)} sessions ({span})")
    print(f"{len(data.questions)} questions: {kinds}")
    print(f"wrote {args.out / 'turns.jsonl'} and {args.out / 'questions.jsonl'}")


if __name__ == "__main__":
    main()
