"""Short English news texts written for these tests, one per top-level IPTC topic,
plus a few with names, quotes and sources in forms the example article lacks."""
from __future__ import annotations

TOPICS = {
    "16000000": (
        "Rebels shell frontline town as ceasefire talks stall",
        "Rebel forces shelled the eastern town overnight, killing four soldiers and wounding a dozen civilians, "
        "the army said on Sunday. Artillery fire and drone strikes continued along the front line as government "
        "troops launched a counter-offensive to retake two villages. Peace talks mediated by neighbouring states "
        "collapsed last week after both sides accused each other of violating the truce. Military analysts said "
        "the fighting could escalate as the rebels received new weapons and ammunition across the border.",
    ),
    "11000000": (
        "Parliament passes electoral reform ahead of snap election",
        "Lawmakers approved a sweeping electoral reform bill on Tuesday, weeks before a snap parliamentary "
        "election called by the prime minister. The governing coalition pushed the legislation through despite "
        "fierce objections from opposition parties, which said the new voting rules favour the ruling party. "
        "The president is expected to sign the bill into law. Several ministers resigned from the cabinet in "
        "protest, and the opposition leader promised a referendum campaign if her party wins the vote.",
    ),
    "04000000": (
        "Central bank raises interest rates as inflation hits two-year high",
        "The central bank raised its benchmark interest rate by a quarter point on Thursday after consumer "
        "inflation climbed to its highest level in two years. Stock markets fell and the currency strengthened "
        "against the dollar as investors priced in further increases. Economists said slowing growth, weak "
        "exports and high energy prices put the economy at risk of recession. Shares of major banks rose, while "
        "retail companies warned that higher borrowing costs would hurt sales and profit in the fourth quarter.",
    ),
    "15000000": (
        "Late goal sends champions into cup final",
        "A stoppage-time goal from the veteran striker sent the champions into the cup final on Saturday after "
        "a tense semifinal in front of 60,000 fans at the national stadium. The home team's goalkeeper saved a "
        "penalty in the first half, and the coach praised his players for a gritty victory. The club will face "
        "last season's league winners in the final next month, hoping to complete a domestic double. Their "
        "captain said the players would rest before the tournament's decisive match.",
    ),
    "07000000": (
        "Measles outbreak prompts vaccination drive",
        "Health officials launched an emergency vaccination campaign on Monday after a measles outbreak "
        "infected more than 300 children. Hospitals in the region reported a surge of patients with fever and "
        "rash, and doctors urged parents to check their children's vaccine records. The disease spreads quickly "
        "among unvaccinated people, and public health experts warned that falling immunisation rates left "
        "communities exposed. The ministry said clinics would offer free vaccines and treatment for symptoms.",
    ),
    "13000000": (
        "Telescope finds water vapour on distant planet",
        "Astronomers using a space telescope have detected water vapour in the atmosphere of a planet orbiting "
        "a nearby star, a discovery scientists called a milestone in the search for habitable worlds. The "
        "research team analysed light passing through the planet's atmosphere with new software and a "
        "machine-learning algorithm. The physics of the planet's orbit suggests temperatures mild enough for "
        "liquid water, the researchers wrote in their study. Further experiments with the telescope are planned.",
    ),
    "02000000": (
        "Former mayor sentenced to eight years for corruption",
        "A court sentenced the former mayor to eight years in prison on Wednesday after a jury found him guilty "
        "of bribery and money laundering. Prosecutors said he took kickbacks from construction firms in exchange "
        "for city contracts. Police arrested two of his aides last year, and both were convicted of fraud in a "
        "separate trial. His lawyer said they would appeal the verdict. The judge ordered the seizure of assets "
        "linked to the crime, including a villa and several bank accounts.",
    ),
    "03000000": (
        "Earthquake kills dozens, rescuers search collapsed buildings",
        "A magnitude 7.1 earthquake struck the coastal province early on Friday, killing at least 42 people and "
        "injuring hundreds, emergency officials said. Rescuers searched through the debris of collapsed "
        "buildings for survivors as aftershocks shook the region. Thousands of residents were evacuated to "
        "shelters, and firefighters battled a blaze at a damaged fuel depot. The disaster agency warned of "
        "landslides in mountain villages and said the death toll was likely to rise.",
    ),
    "01000000": (
        "Director's new film opens festival to standing ovation",
        "The acclaimed director's new film opened the international film festival on Wednesday to a standing "
        "ovation, with its lead actress tipped for awards. The movie, a drama about a family of musicians, "
        "features an original score performed by the national orchestra. Critics praised the cinematography "
        "and the performances of the cast. The festival also hosts an exhibition of the artist's paintings and "
        "concerts by local singers, and the film will reach cinemas and a streaming service next month.",
    ),
}

NAMES = (
    "British Prime Minister Keir Starmer met German Chancellor Olaf Scholz in Berlin on Monday. "
    "Starmer said the two leaders discussed defence spending. \u201cWe stand together on Ukraine and on "
    "trade,\u201d Starmer told reporters after the meeting. The United Nations (UN) welcomed the talks, and "
    "the UN envoy said progress was possible. According to The New York Times, officials at the "
    "Ministry of Foreign Affairs prepared a joint statement. Kim Jong Un was not mentioned, although "
    "Kim Jong-un\u2019s missile tests were, as reported by Yonhap News Agency."
)

QUOTES = (
    "The company reported record sales. \u201cThis is the best quarter in our history by a wide margin,\u201d "
    "said chief executive Maria Lopez. She added that hiring would continue. \u201cWe will open three new "
    "factories next year in the north,\u201d she said. A spokesperson for the union said: \u201cWorkers deserve "
    "a fair share of these profits and we will fight for it.\u201d \u201cIt is a scary time,\u201d one shopper said."
)
