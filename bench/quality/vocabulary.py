"""The quality dataset's world: the people, places, pets, jobs, trips, courses and other things talked about,
and the small helpers that put them into sentences."""

from __future__ import annotations

from bench.quality.dataset import SPEAKERS

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

NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def article(phrase: str) -> str:
    """The phrase with its indefinite article: "an Italian", "a guitar"."""
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def other_speaker(speaker: str) -> str:
    return SPEAKERS[1] if speaker == SPEAKERS[0] else SPEAKERS[0]
