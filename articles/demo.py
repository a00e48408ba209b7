"""Demo content for `seed_demo`: Romanian news copy from templates, and images drawn with Pillow.

Everything here is pure (no database): given a `random.Random`, the same seed writes the same
stories and draws the same pictures. The people, clubs, companies and books are invented.
"""

import functools
import io
import random
import string
import unicodedata
from dataclasses import dataclass, field
from typing import TypedDict

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

# --- Sections, authors, tags ---------------------------------------------------------------

# (name, slug, description); the list order is the position.
SECTIONS = [
    ("Politică", "politica", "Guvern, Parlament, partide și administrația locală."),
    ("Economie", "economie", "Bani, prețuri, locuri de muncă și companii."),
    ("Externe", "externe", "Europa, vecinii și restul lumii."),
    ("Sport", "sport", "Fotbal, handbal, tenis, atletism și tot ce se joacă."),
    ("Cultură", "cultura", "Cărți, film, teatru, muzică și expoziții."),
    ("Tehnologie", "tehnologie", "Internet, startup-uri, securitate și cercetare."),
    ("Sănătate", "sanatate", "Spitale, prevenție și sănătatea de zi cu zi."),
    ("Opinii", "opinii", "Editoriale, comentarii și scrisori."),
]

# (name, job title, beat sections, bio)
AUTHORS = [
    (
        "Andrei Ionescu",
        "Director editorial",
        ["politica", "opinii"],
        "Conduce redacția din 2019. Înainte a fost corespondent parlamentar timp de zece ani "
        "și a predat jurnalism politic la Universitatea din București.",
    ),
    (
        "Ioana Marinescu",
        "Redactor-șef adjunct",
        ["politica", "economie", "externe"],
        "Coordonează ediția de zi și echipa de editori. A lucrat la secțiile de economie și "
        "externe, iar în 2021 a câștigat premiul pentru investigație al Clubului Român de Presă.",
    ),
    (
        "Mihai Dobre",
        "Reporter, Politică",
        ["politica"],
        "Scrie despre Guvern și administrația locală. Urmărește achizițiile publice și "
        "felul în care se cheltuie banii primăriilor.",
    ),
    (
        "Elena Vasilescu",
        "Reporter parlamentar",
        ["politica"],
        "Acoperă Parlamentul din 2016: voturi, comisii, amendamente și ce rămâne din ele "
        "după miezul nopții.",
    ),
    (
        "Radu Constantinescu",
        "Editor, Economie",
        ["economie"],
        "Economist de formație, scrie despre inflație, buget și piața muncii. Are o slăbiciune "
        "pentru statisticile lunare ale INS.",
    ),
    (
        "Cristina Petrescu",
        "Reporter, Economie",
        ["economie", "tehnologie"],
        "Scrie despre companii, energie și investiții. Înainte de presă a lucrat trei ani "
        "într-o bancă.",
    ),
    (
        "Alexandru Stan",
        "Editor, Externe",
        ["externe"],
        "A relatat din Ucraina, Republica Moldova și Balcani. Vorbește rusă și sârbă și "
        "coordonează colaboratorii din străinătate.",
    ),
    (
        "Laura Mocanu",
        "Corespondent la Bruxelles",
        ["externe", "economie"],
        "Urmărește instituțiile europene de la Bruxelles și Strasbourg: summituri, fonduri, "
        "directive și negocierile din culise.",
    ),
    (
        "Bogdan Nistor",
        "Reporter, Sport",
        ["sport"],
        "Scrie despre fotbal, de la Superliga la ligile județene. A fost la trei campionate "
        "europene și nu a ratat niciun derby din 2012.",
    ),
    (
        "Diana Florea",
        "Editor, Sport",
        ["sport"],
        "Coordonează secția de sport. Fost jucător de handbal la juniori, urmărește sporturile "
        "de echipă și atletismul.",
    ),
    (
        "Sorin Munteanu",
        "Reporter, Cultură",
        ["cultura"],
        "Scrie despre carte, teatru și muzică. Ține o rubrică săptămânală despre debuturi.",
    ),
    (
        "Oana Zamfir",
        "Critic de film",
        ["cultura", "opinii"],
        "Scrie despre film din 2010 și a fost în juriul mai multor festivaluri. Crede că orice "
        "oraș are nevoie de un cinematograf de artă.",
    ),
    (
        "Vlad Georgescu",
        "Reporter, Tehnologie",
        ["tehnologie", "economie"],
        "Inginer software devenit jurnalist. Scrie despre securitate informatică, startup-uri "
        "și digitalizarea statului.",
    ),
    (
        "Irina Toma",
        "Reporter, Sănătate",
        ["sanatate"],
        "Medic de familie timp de cinci ani, acum reporter. Scrie despre spitale, prevenție și "
        "ce spun, de fapt, studiile.",
    ),
    (
        "Tudor Barbu",
        "Comentator",
        ["opinii", "politica"],
        "Analist politic și autor a două cărți despre tranziție. Scrie un editorial în fiecare "
        "luni.",
    ),
    (
        "Simona Cristea",
        "Editorialist",
        ["opinii", "sanatate", "cultura"],
        "Scrie despre educație, orașe și viața de zi cu zi. A condus zece ani o școală din Iași.",
    ),
    (
        "Raluca Preda",
        "Corespondent regional, Iași",
        ["politica", "sanatate", "economie"],
        "Acoperă Moldova, de la Suceava la Galați: administrație, spitale, drumuri și oameni.",
    ),
]

SECTION_TAGS = {
    "politica": ["Guvern", "Parlament", "Alegeri", "Justiție", "Administrație locală", "Buget"],
    "economie": ["Inflație", "Energie", "Taxe", "Piața muncii", "Imobiliare", "Investiții"],
    "externe": ["Uniunea Europeană", "NATO", "Ucraina", "Republica Moldova", "SUA", "Diplomație"],
    "sport": ["Fotbal", "Superliga", "Handbal", "Tenis", "Atletism", "Naționala"],
    "cultura": ["Film", "Teatru", "Carte", "Muzică", "Expoziții", "Festivaluri"],
    "tehnologie": [
        "Inteligență artificială",
        "Securitate cibernetică",
        "Startup-uri",
        "Telecom",
        "Digitalizare",
    ],
    "sanatate": ["Spitale", "Vaccinare", "Prevenție", "Medicamente", "Sănătate mintală"],
    "opinii": ["Editorial", "Comentariu", "Educație", "Orașe"],
}
COMMON_TAGS = ["România", "București", "Analiză", "Interviu", "Exclusiv", "Date", "Europa"]

# --- Word lists -----------------------------------------------------------------------------

CITIES = [
    "București",
    "București",
    "București",
    "Cluj-Napoca",
    "Iași",
    "Timișoara",
    "Constanța",
    "Craiova",
    "Brașov",
    "Galați",
    "Ploiești",
    "Oradea",
    "Sibiu",
    "Suceava",
    "Bacău",
    "Pitești",
    "Arad",
    "Târgu Mureș",
    "Baia Mare",
    "Buzău",
]
FOREIGN_CITIES = [
    "Bruxelles",
    "Washington",
    "Berlin",
    "Paris",
    "Londra",
    "Kiev",
    "Chișinău",
    "Viena",
    "Roma",
    "Madrid",
    "Varșovia",
    "Budapesta",
    "Ankara",
    "Geneva",
    "Strasbourg",
    "Haga",
    "Atena",
    "Sofia",
]
COUNTRIES = [
    "Germania",
    "Franța",
    "Italia",
    "Spania",
    "Polonia",
    "Ungaria",
    "Republica Moldova",
    "Ucraina",
    "Turcia",
    "Austria",
    "Grecia",
    "Bulgaria",
    "Cehia",
    "Olanda",
    "Portugalia",
    "Japonia",
]
MEN = (  # noqa: SIM905 (a word list reads better as words)
    "Andrei Mihai Radu Alexandru Gabriel Vlad Bogdan Sorin Adrian Cătălin Ștefan Dan Florin "
    "Tudor Victor Liviu Petru Horia Cosmin Matei"
).split()
WOMEN = (  # noqa: SIM905
    "Ioana Elena Cristina Ana Maria Irina Diana Laura Carmen Roxana Oana Simona Andreea Raluca "
    "Monica Corina Alina Teodora Mirela Bianca"
).split()
LAST_NAMES = (  # noqa: SIM905 (a word list reads better as words)
    "Popescu Ionescu Dumitrescu Stan Stoica Gheorghe Rusu Munteanu Matei Constantin Marin "
    "Tudose Dobrescu Barbu Nistor Florescu Ene Dinu Georgescu Lungu Toma Moldovan Sârbu Neagu "
    "Cristea Preda Mocanu Zamfir Oprea Voicu Ciobanu Lazăr Manole Pavel Radu Avram"
).split()
MINISTRIES = [
    "Finanțelor",
    "Economiei",
    "Sănătății",
    "Educației",
    "Transporturilor",
    "Energiei",
    "Justiției",
    "Muncii",
    "Agriculturii",
    "Mediului",
    "Culturii",
    "Dezvoltării",
]
MONTHS = [
    "ianuarie",
    "februarie",
    "martie",
    "aprilie",
    "mai",
    "iunie",
    "iulie",
    "august",
    "septembrie",
    "octombrie",
    "noiembrie",
    "decembrie",
]
POLICIES = [
    "reforma pensiilor speciale",
    "digitalizarea administrației",
    "plafonarea prețurilor la energie",
    "salarizarea în sectorul public",
    "descentralizarea serviciilor publice",
    "modificarea Codului fiscal",
    "finanțarea partidelor",
    "votul prin corespondență",
    "noua lege a educației",
    "achizițiile publice",
    "reorganizarea agențiilor de stat",
    "programul de locuințe pentru tineri",
]
LOCAL_TOPICS = [
    "închiderea centrului pentru mașini",
    "noul parc din zona gării",
    "extinderea liniei de tramvai",
    "parcările de reședință",
    "reabilitarea teatrului de vară",
    "taxa de salubrizare",
]
INTL_TOPICS = [
    "securitatea energetică",
    "migrație",
    "schimbările climatice",
    "comerțul cu cereale",
    "apărarea comună",
    "inteligența artificială",
    "reconstrucția Ucrainei",
    "extinderea Uniunii Europene",
    "prețurile la gaze",
    "controlul frontierelor",
]
PROTEST_TOPICS = [
    "creșterii vârstei de pensionare",
    "scumpirii transportului public",
    "noii legi a presei",
    "tăierilor din bugetul universităților",
    "proiectului minier din munți",
]
COMPANIES = [
    "Carpatica Energie",
    "Dunărea Logistic",
    "Transilvania Steel",
    "Agro Bărăgan",
    "Arcadia Retail",
    "Orizont Telecom",
    "Vitis Foods",
    "Delta Shipyards",
    "Meridian Pharma",
    "Sigma Construct",
]
STARTUPS = ["Nodalis", "Cuib", "Fluxo", "Brancusi Labs", "Veridio", "Scrib", "Atlas Robotics"]
TEAMS = [
    "Atletic Iași",
    "Olimpia Cluj",
    "Unirea Brașov",
    "Sportul Craiova",
    "Progresul Sibiu",
    "Banatul Timișoara",
    "Aurora Oradea",
    "Marea Neagră Constanța",
    "Voința Bacău",
    "Argeș Pitești",
    "Siretul Suceava",
    "Carpați Baia Mare",
]
COMPETITIONS = [
    "Campionatele Europene de atletism",
    "Cupa Mondială de canotaj",
    "Campionatul European de scrimă",
    "Campionatele Mondiale de înot",
    "Grand Prix-ul de judo de la Zagreb",
]
TOURNAMENTS = ["Roland Garros", "Wimbledon", "US Open", "Australian Open", "turneul de la Madrid"]
BOOKS = [
    "Casa de la marginea câmpiei",
    "Orașul fără umbre",
    "Vara în care a nins",
    "Scrisori către nimeni",
    "Ultimul tren spre Sulina",
    "Grădina cu nuci",
    "Fereastra dinspre mare",
    "O iarnă la Rășinari",
]
APP_TOPICS = [
    "programările la medicul de familie",
    "plata amenzilor de circulație",
    "înscrierea copiilor la grădiniță",
    "eliberarea cazierului judiciar",
]
SENSOR_TOPICS = [
    "calitatea aerului",
    "detectarea scurgerilor de apă",
    "monitorizarea podurilor",
    "agricultura de precizie",
]
OPINION_TOPICS = [
    "reforma administrației",
    "educația digitală",
    "transportul public",
    "sănătatea mintală a tinerilor",
    "o politică serioasă pentru locuințe",
    "investiția în cercetare",
    "încrederea în instituții",
    "spațiul verde din orașe",
]
PHOTOGRAPHERS = ["Gabriel Lungu", "Ana Pavel", "Horia Avram", "Corina Manole", "Petru Lazăr"]

# --- Copy, section by section -----------------------------------------------------------------

# Each section: (headline, standfirst) pairs, body sentences, subheads, quotes, the roles of the
# people quoted ("m:" or "f:" where Romanian marks the speaker's gender), links and captions.
# Slots in braces are filled by Facts below.


class SectionCopy(TypedDict):
    stories: list[tuple[str, str]]
    sentences: list[str]
    subheads: list[str]
    quotes: list[str]
    roles: list[str]
    links: list[tuple[str, str]]
    captions: list[str]


COPY: dict[str, SectionCopy] = {
    "politica": {
        "stories": [
            (
                "Guvernul adoptă o ordonanță privind {policy}",
                "Ordonanța intră în vigoare din {month}, iar opoziția spune că o va contesta la "
                "Curtea Constituțională.",
            ),
            (
                "Coaliția discută {policy} înaintea votului din Parlament",
                "Liderii spun în public că acordul este aproape, dar negocierile continuă după "
                "{weeks} săptămâni.",
            ),
            (
                "Opoziția depune o moțiune simplă împotriva ministrului {ministry}",
                "Moțiunea ar urma să fie dezbătută săptămâna viitoare; ministrul spune că nu se "
                "teme de vot.",
            ),
            (
                "Senatul votează legea privind {policy}: {votes} de voturi pentru",
                "Proiectul merge la Camera Deputaților, for decizional, unde coaliția are o "
                "majoritate confortabilă.",
            ),
            (
                "Primarul din {city} anunță un referendum local despre {local_topic}",
                "Primăria spune că decizia finală va aparține locuitorilor, iar consultarea ar "
                "putea avea loc în {month}.",
            ),
            (
                "Ministrul {ministry} promite {policy} până la sfârșitul anului",
                "Promisiunea vine după luni de critici din partea sindicatelor și a autorităților"
                " locale.",
            ),
            (
                "Curtea Constituțională amână decizia privind {policy}",
                "Judecătorii au cerut puncte de vedere suplimentare de la Guvern și de la cele "
                "două Camere.",
            ),
            (
                "Sondaj: {pct}% dintre români cred că țara merge într-o direcție greșită",
                "Încrederea în Parlament și în partide rămâne la cel mai scăzut nivel din ultimii"
                " ani.",
            ),
            (
                "Deputații adoptă bugetul pe {year} după {hours} ore de dezbateri",
                "Opoziția a depus peste {count} de amendamente, aproape toate respinse în comisii.",
            ),
            (
                "Consiliul Județean votează împrumutul pentru noul spital din {city}",
                "Lucrările ar putea începe anul viitor, dacă licitația nu este contestată.",
            ),
            (
                "Premierul anunță remanierea ministrului {ministry}",
                "Numele noului ministru va fi trimis la Cotroceni până la sfârșitul săptămânii.",
            ),
            (
                "Primăria din {city} pierde în instanță procesul privind {local_topic}",
                "Administrația locală spune că va face recurs; decizia nu este definitivă.",
            ),
            (
                "Parlamentul dezbate {policy}, sub presiunea termenelor din PNRR",
                "Guvernul riscă să piardă fonduri europene dacă legea nu este adoptată până în "
                "{month}.",
            ),
            (
                "Prefectul atacă în instanță hotărârea Consiliului Local {city}",
                "Consilierii locali susțin că au respectat procedura și că hotărârea este legală.",
            ),
            (
                "Alegeri parțiale în {towns} comune: prezență scăzută la prânz",
                "Biroul Electoral Central a raportat o participare sub media ultimelor scrutinuri.",
            ),
        ],
        "sentences": [
            "Proiectul a fost trimis comisiilor de specialitate, care au {days} zile la "
            "dispoziție pentru un raport.",
            "Surse din coaliție spun că textul a fost rescris de cel puțin trei ori în ultima "
            "lună.",
            "Opoziția acuză Guvernul că a evitat dezbaterea publică și că a ignorat "
            "observațiile Consiliului Economic și Social.",
            "Ministerul {ministry} estimează un cost de {mil} de milioane de lei pentru primul an.",
            "Reprezentanții sindicatelor au cerut o întâlnire de urgență cu premierul.",
            "Votul final este programat în ședința de marți a Camerei Deputaților.",
            "Un raport al Curții de Conturi arăta anul trecut nereguli în {local_topic}.",
            "În ultimele două mandate, subiectul a revenit pe agenda politică de cel puțin "
            "patru ori.",
            "La consultarea publică au fost trimise peste {count} de propuneri de modificare.",
            "Partidele mici din Parlament spun că vor vota doar dacă textul este modificat.",
            "Consilierii locali din {city} au cerut mai mult timp pentru a analiza documentația.",
            "Avocatul Poporului a transmis un punct de vedere critic asupra formei inițiale.",
        ],
        "subheads": [
            "Ce prevede proiectul",
            "Negocieri până în ultima clipă",
            "Reacția opoziției",
            "Cât costă măsura",
            "Ce urmează",
        ],
        "quotes": [
            "Nu vom accepta o lege scrisă noaptea și votată dimineața.",
            "Avem un acord politic, acum discutăm detaliile tehnice.",
            "Oamenii trebuie să știe exact ce se schimbă și de când.",
            "Este o reformă amânată de prea mulți ani.",
        ],
        "roles": [
            "m:liderul grupului parlamentar al opoziției",
            "m:purtătorul de cuvânt al Guvernului",
            "m:președintele comisiei juridice",
            "m:primarul orașului {city}",
            "m:ministrul {ministry}",
        ],
        "links": [
            ("https://www.cdep.ro/", "pagina Camerei Deputaților"),
            ("https://www.senat.ro/", "site-ul Senatului"),
            ("https://www.gov.ro/", "comunicatul Guvernului"),
        ],
        "captions": [
            "Ședință în plenul Camerei Deputaților.",
            "Miniștrii, la sosirea la Palatul Victoria.",
            "Conferință de presă după ședința coaliției.",
        ],
    },
    "economie": {
        "stories": [
            (
                "Inflația anuală scade la {decimal_pct}% în {month}, arată datele INS",
                "Economiștii se așteptau la o valoare apropiată, dar avertizează că presiunea pe "
                "prețuri nu a dispărut.",
            ),
            (
                "Euro ajunge la {eur} lei, un nou maxim al anului",
                "Analiștii pun deprecierea leului pe seama incertitudinii legate de deficitul "
                "bugetar.",
            ),
            (
                "Banca Națională menține dobânda de politică monetară la {rate}%",
                "Decizia vine într-un moment în care băncile raportează o cerere în scădere "
                "pentru credite.",
            ),
            (
                "{company} anunță o investiție de {mil} de milioane de euro la {city}",
                "Investiția ar crea aproximativ {count} de locuri de muncă în următorii trei ani.",
            ),
            (
                "Exporturile cresc cu {pct}% în primul trimestru",
                "Industria auto și cerealele au tras în sus exporturile, în timp ce importurile "
                "au stagnat.",
            ),
            (
                "Prețul benzinei scade sub {fuel} lei pe litru",
                "Scăderea cotațiilor petrolului a ajuns, cu întârziere, și la pompă.",
            ),
            (
                "Deficitul bugetar ajunge la {decimal_pct}% din PIB după {months} luni",
                "Ministerul Finanțelor spune că ținta anuală poate fi atinsă, dar economiștii "
                "sunt sceptici.",
            ),
            (
                "Apartamentele din {city} s-au scumpit cu {pct}% într-un an",
                "Cererea mare și lipsa terenurilor construibile țin prețurile sus, spun agenții "
                "imobiliari.",
            ),
            (
                "Salariul mediu net a urcat la {salary} de lei",
                "Cele mai mari salarii rămân în IT și în sectorul financiar, cele mai mici în "
                "hoteluri și restaurante.",
            ),
            (
                "{company} concediază {count} de angajați și închide fabrica din {city}",
                "Sindicatul spune că a aflat de concedieri din presă și cere negocieri cu "
                "conducerea.",
            ),
            (
                "Prețul pâinii crește cu {pct}% după scumpirea făinii",
                "Morarii spun că recolta slabă din sud și costul energiei au împins prețurile în "
                "sus.",
            ),
            (
                "Tranzacții record la Bursa de la București: {mil} de milioane de lei într-o zi",
                "Interesul investitorilor a crescut după anunțul privind dividendele companiilor "
                "de stat.",
            ),
            (
                "Guvernul pregătește o nouă schemă de ajutor pentru IMM-uri",
                "Firmele mici ar putea primi granturi de până la 200.000 de euro pentru "
                "digitalizare.",
            ),
            (
                "Șomajul scade la {decimal_pct}%, cel mai mic nivel din ultimii ani",
                "Cele mai multe locuri de muncă noi au apărut în construcții și în servicii.",
            ),
            (
                "{company} se listează la bursă: o acțiune costă {fuel} lei",
                "Oferta publică durează două săptămâni și este intermediată de un grup de bănci.",
            ),
        ],
        "sentences": [
            "Prețurile la alimente au crescut cu {decimal_pct2}% față de aceeași lună a anului "
            "trecut.",
            "Analiștii consultați de redacție estimează că tendința se va menține până în toamnă.",
            "Consumul gospodăriilor a rămas principalul motor al creșterii economice.",
            "{company} are în prezent {count} de angajați în România.",
            "Guvernul mizează pe fondurile europene pentru a acoperi o parte din deficit.",
            "Cursul de schimb a fost relativ stabil în ultimele săptămâni, cu variații mici.",
            "Firmele mici se plâng de costurile cu energia, care s-au dublat în doi ani.",
            "Conform Institutului Național de Statistică, numărul salariaților a crescut ușor.",
            "Bursa de la București a închis ședința în creștere cu {decimal_pct3}%.",
            "Ratele la creditele în lei ar putea scădea dacă dobânzile coboară în a doua parte "
            "a anului.",
            "Investitorii străini urmăresc cu atenție evoluția deficitului bugetar.",
            "Exportatorii de cereale au beneficiat de o recoltă bună și de prețuri ridicate.",
        ],
        "subheads": [
            "Ce înseamnă pentru buzunarul nostru",
            "Ce spun economiștii",
            "Comparația cu restul Europei",
            "Perspectivele pentru anul viitor",
        ],
        "quotes": [
            "Nu vedem încă semne clare că presiunea pe prețuri a trecut.",
            "Investiția confirmă că regiunea are forță de muncă bine pregătită.",
            "Bugetul are nevoie de o corecție serioasă, nu de măsuri cosmetice.",
            "Consumatorii sunt mai prudenți decât acum un an.",
        ],
        "roles": [
            "m:economistul-șef al unei bănci comerciale",
            "m:directorul general al {company}",
            "m:ministrul {ministry}",
            "analist financiar",
        ],
        "links": [
            ("https://www.bnr.ro/", "comunicatul Băncii Naționale"),
            ("https://insse.ro/", "datele Institutului Național de Statistică"),
            ("https://www.bvb.ro/", "cotațiile Bursei de Valori București"),
        ],
        "captions": [
            "Cumpărători într-un supermarket din {city}.",
            "Sediul Băncii Naționale a României.",
            "Linia de producție a unei fabrici din {city}.",
        ],
    },
    "externe": {
        "stories": [
            (
                "{country} și {country2} semnează un acord privind {intl_topic}",
                "Diplomații spun că textul final a fost agreat după o noapte de negocieri.",
            ),
            (
                "Summit la {fcity}: liderii europeni discută despre {intl_topic}",
                "România va fi reprezentată de președinte; o declarație comună este așteptată joi"
                " seară.",
            ),
            (
                "Alegeri în {country}: prezența la vot a depășit {turnout}%",
                "Rezultatele oficiale sunt așteptate în cursul zilei de mâine; sondajele anunță "
                "un scor strâns.",
            ),
            (
                "Comisia Europeană propune noi reguli pentru {intl_topic}",
                "Propunerea trebuie aprobată de statele membre și de Parlamentul European.",
            ),
            (
                "Protest de amploare la {fcity} împotriva {protest_topic}",
                "Autoritățile au cerut calm și au anunțat măsuri suplimentare de securitate.",
            ),
            (
                "NATO își întărește prezența pe flancul estic",
                "Aliații trimit încă un batalion în regiune, iar România va găzdui o parte dintre"
                " militari.",
            ),
            (
                "Republica Moldova deschide un nou capitol în negocierile de aderare",
                "Guvernul de la Chișinău spune că vrea să încheie negocierile până la sfârșitul "
                "deceniului.",
            ),
            (
                "Cutremur de {magnitude} grade în {quake_country}; nu sunt victime raportate",
                "Seismul a fost resimțit în mai multe orașe; autoritățile verifică clădirile "
                "vechi.",
            ),
            (
                "Miniștrii de externe din UE se reunesc la {fcity} pentru {intl_topic}",
                "Pe agenda reuniunii se află și situația din vecinătatea estică a Uniunii.",
            ),
            (
                "Parlamentul European votează pachetul privind {intl_topic}",
                "Textul a trecut cu o majoritate largă, dar mai are nevoie de acordul Consiliului.",
            ),
            (
                "Noul guvern din {country} a obținut votul de încredere",
                "Coaliția are o majoritate fragilă, de doar câteva mandate.",
            ),
            (
                "Inundații în {country}: mii de oameni, evacuați",
                "Meteorologii avertizează că ploile vor continua și în următoarele zile.",
            ),
            (
                "Uniunea Europeană adoptă un nou pachet de sancțiuni",
                "Măsurile vizează sectorul energetic și câteva bănci.",
            ),
            (
                "{country} închide temporar un punct de trecere a frontierei",
                "Autoritățile invocă motive de securitate și recomandă rute ocolitoare.",
            ),
            (
                "Vizită oficială la {fcity}: discuții despre {intl_topic}",
                "În program se află și o întâlnire cu reprezentanții comunității românești.",
            ),
        ],
        "sentences": [
            "Delegațiile au discutat peste {hours} ore înainte de a ajunge la un compromis.",
            "Ministerul Afacerilor Externe de la București a salutat acordul printr-un comunicat.",
            "Potrivit presei locale, la manifestație au participat zeci de mii de oameni.",
            "Liderii europeni au cerut un calendar clar pentru aplicarea măsurilor.",
            "Negocierile au fost complicate de pozițiile diferite ale statelor din sud și nord.",
            "Oficialii din {country} au spus că vor analiza propunerea în detaliu.",
            "Ambasada României recomandă cetățenilor români aflați în zonă să evite aglomerările.",
            "Agenția de presă Interfax a citat un oficial care a cerut păstrarea anonimatului.",
            "Comisia Europeană urmează să publice evaluarea completă până la sfârșitul lunii.",
            "Opoziția din {country} a criticat acordul, spunând că a fost negociat în secret.",
            "Tema va fi discutată din nou la reuniunea Consiliului European din {month}.",
            "Experții avertizează că aplicarea noilor reguli va dura cel puțin doi ani.",
        ],
        "subheads": [
            "Ce s-a decis la {fcity}",
            "Poziția României",
            "Reacții internaționale",
            "Următorii pași",
        ],
        "quotes": [
            "Este un pas important, dar nu rezolvă toate problemele.",
            "Europa trebuie să vorbească cu o singură voce.",
            "Nu putem accepta ca frontierele să fie schimbate prin forță.",
            "Vom continua dialogul, oricât de dificil ar fi.",
        ],
        "roles": [
            "m:un diplomat european implicat în negocieri",
            "m:ministrul de externe din {country}",
            "m:un analist de politică externă de la {fcity}",
            "f:purtătoarea de cuvânt a Comisiei Europene",
        ],
        "links": [
            ("https://european-union.europa.eu/", "portalul Uniunii Europene"),
            ("https://www.mae.ro/", "comunicatul Ministerului Afacerilor Externe"),
            ("https://www.nato.int/", "declarația NATO"),
        ],
        "captions": [
            "Liderii europeni, înaintea fotografiei de grup de la {fcity}.",
            "Manifestanți pe străzile din {fcity}.",
            "Sala de reuniuni a Consiliului Uniunii Europene.",
        ],
    },
    "sport": {
        "stories": [
            (
                "{team} învinge {team2} cu {win} și urcă pe locul {place}",
                "Victoria vine după o serie de trei meciuri fără succes și liniștește vestiarul.",
            ),
            (
                "Egal spectaculos între {team} și {team2}: {draw}",
                "Gazdele au condus de două ori, dar oaspeții au egalat de fiecare dată.",
            ),
            (
                "Naționala de handbal feminin se califică în sferturi la Campionatul European",
                "Tricolorele au câștigat grupa și vor juca următorul meci miercuri.",
            ),
            (
                "{person} câștigă medalia de aur la {competition}",
                "Performanța este cea mai bună a unui sportiv român la această competiție în "
                "ultimul deceniu.",
            ),
            (
                "Tenis: {woman} trece în turul al doilea la {tournament}",
                "Românca a avut nevoie de trei seturi și aproape trei ore pentru a câștiga.",
            ),
            (
                "Antrenorul de la {team} a demisionat după {losses} înfrângeri consecutive",
                "Clubul caută un înlocuitor înaintea meciului de duminică.",
            ),
            (
                "Transfer record: {team} plătește {transfer} milioane de euro pentru un atacant",
                "Noul jucător a semnat pe patru ani și ar putea debuta chiar în etapa următoare.",
            ),
            (
                "Derby fără goluri la {city}: {team} și {team2} rămân la egalitate",
                "Antrenorii au vorbit după meci despre un joc tactic, cu puține ocazii.",
            ),
            (
                "Selecționerul a anunțat lotul naționalei pentru meciurile din preliminarii",
                "Pe listă sunt doi jucători nou-convocați; cantonamentul începe luni.",
            ),
            (
                "{team} se califică în finala Cupei României după loviturile de departajare",
                "Portarul a apărat două penalty-uri, iar finala se joacă pe teren neutru.",
            ),
            (
                "{team} rămâne lider după {win} cu {team2}",
                "Diferența față de locul al doilea a crescut la cinci puncte.",
            ),
            (
                "Handbal masculin: {team} câștigă derby-ul cu {team2}",
                "Meciul a fost decis în ultimele zece secunde, după un gol din extremă.",
            ),
            (
                "Maratonul de la {city} a strâns {count} de alergători",
                "Traseul a trecut pe lângă principalele monumente ale orașului.",
            ),
            (
                "Atletism: {person} stabilește un nou record național",
                "Performanța a fost reușită la un concurs internațional desfășurat la {fcity}.",
            ),
        ],
        "sentences": [
            "Golul decisiv a venit în minutul {minute}, după o fază construită pe partea dreaptă.",
            "Pe stadion au fost prezenți aproximativ {crowd} de spectatori.",
            "Gazdele au dominat posesia, dar au avut probleme la finalizare.",
            "Portarul oaspeților a fost cel mai bun om de pe teren, cu cinci intervenții decisive.",
            "{team} are acum {points} de puncte și un meci mai puțin disputat.",
            "Antrenorul a făcut trei schimbări la pauză, iar jocul s-a schimbat complet.",
            "Federația a anunțat că va analiza incidentele din tribună.",
            "Sportiva s-a antrenat în ultimele luni într-un cantonament la altitudine.",
            "Meciul a fost întrerupt zece minute din cauza ploii torențiale.",
            "Clubul nu a comunicat oficial suma transferului, dar presa locală vorbește de un "
            "record.",
            "Jucătorii au primit o zi liberă înainte de reluarea pregătirilor.",
            "Este a {streak}-a victorie consecutivă în campionat pentru echipa antrenorului "
            "{person}.",
        ],
        "subheads": [
            "Cum s-a jucat",
            "Momentul meciului",
            "Clasamentul după această etapă",
            "Ce a spus antrenorul",
        ],
        "quotes": [
            "Am jucat pentru suporteri, ei ne-au ținut în picioare.",
            "Nu a fost cel mai frumos meci, dar contează cele trei puncte.",
            "Visam la această medalie de când eram copil.",
            "Avem încă multe de corectat, mai ales în apărare.",
        ],
        "roles": [
            "m:antrenorul echipei {team}",
            "m:căpitanul echipei {team}",
            "m:președintele clubului {team}",
            "f:campioana la {competition}",
        ],
        "links": [
            ("https://www.frf.ro/", "clasamentul complet"),
            ("https://www.cosr.ro/", "site-ul Comitetului Olimpic și Sportiv Român"),
        ],
        "captions": [
            "Jucătorii de la {team} se bucură după gol.",
            "Faza fixă din prima repriză a meciului de la {city}.",
            "Suporterii, în tribuna stadionului din {city}.",
        ],
    },
    "cultura": {
        "stories": [
            (
                "Festivalul de film de la {city} anunță selecția oficială",
                "Organizatorii au primit peste {count} de filme înscrise; competiția începe în "
                "{month}.",
            ),
            (
                "Un manuscris inedit al unui poet interbelic, descoperit într-o arhivă din {city}",
                "Caietul conține poeme necunoscute și scrisori către un prieten din tinerețe.",
            ),
            (
                "Teatrul Național din {city} deschide stagiunea cu o premieră",
                "Biletele s-au epuizat în mai puțin de o oră de la punerea în vânzare.",
            ),
            (
                "Expoziție de artă contemporană la {city}: {artists} de artiști din {countries} "
                "țări",
                "Lucrările pot fi văzute până la sfârșitul lunii {month}, cu intrare liberă "
                "pentru elevi.",
            ),
            (
                "Romanul „{book}” câștigă premiul pentru debut al anului",
                "Juriul a lăudat „curajul și limpezimea” scrisului.",
            ),
            (
                "Concert în aer liber al Filarmonicii din {city}",
                "Evenimentul a atras publicul tânăr mai mult decât se așteptau organizatorii.",
            ),
            (
                "Muzeul de Istorie din {city} își redeschide sala de arheologie",
                "Restaurarea a durat doi ani și a fost finanțată în mare parte din bani europeni.",
            ),
            (
                "Târgul de carte din {city} a avut {visitors} de vizitatori",
                "Editorii spun că au vândut mai mult decât anul trecut, mai ales cărți pentru "
                "copii.",
            ),
            (
                "Un film românesc, premiat la festivalul de la {fcity}",
                "Regizoarea a dedicat premiul echipei și actorilor neprofesioniști din "
                "distribuție.",
            ),
            (
                "Biblioteca Județeană din {city} își prelungește programul în weekend",
                "Sălile de lectură vor fi deschise și duminica, la cererea studenților.",
            ),
            (
                "Noaptea Muzeelor: {visitors} de vizitatori la {city}",
                "Cozile s-au format încă de la ora 19, iar unele muzee au rămas deschise după "
                "miezul nopții.",
            ),
        ],
        "sentences": [
            "Spectacolul durează două ore și jumătate, cu o pauză.",
            "Regizorul a lucrat cu o distribuție în care jumătate dintre actori sunt la debut.",
            "Expoziția poate fi vizitată până la sfârșitul lunii {month}, de marți până duminică.",
            "Romanul „{book}” a apărut anul trecut la o editură mică din {city}.",
            "Organizatorii spun că au primit peste {count} de filme înscrise în competiție.",
            "Restaurarea sălii a durat doi ani și a costat aproximativ {mil} de milioane de lei.",
            "Intrarea este liberă pentru elevi și studenți.",
            "Criticii au remarcat scenografia, construită aproape în întregime din lemn recuperat.",
            "Manuscrisul conține poeme necunoscute și câteva scrisori către un prieten din "
            "tinerețe.",
            "Concertul a fost transmis în direct pe internet și urmărit de mii de oameni.",
            "Cartea va fi tradusă în germană și în franceză anul viitor.",
        ],
        "subheads": [
            "Ce puteți vedea",
            "O poveste despre memorie",
            "Programul complet",
            "De ce contează",
        ],
        "quotes": [
            "Am vrut să facem un spectacol despre oameni obișnuiți, fără eroi.",
            "Literatura bună nu are nevoie de un oraș mare ca să se nască.",
            "Publicul ne-a surprins: a venit mai mult decât ne-am imaginat.",
            "Arhivele noastre ascund încă multe povești nespuse.",
        ],
        "roles": [
            "m:directorul festivalului",
            "f:regizoarea spectacolului",
            "f:autoarea romanului „{book}”",
            "f:cercetătoare la Biblioteca Academiei",
        ],
        "links": [
            ("https://www.cultura.ro/", "programul Ministerului Culturii"),
            ("https://www.tnb.ro/", "site-ul teatrului"),
        ],
        "captions": [
            "Actorii, la repetiția generală.",
            "Vizitatori în sala principală a expoziției de la {city}.",
            "Publicul, la deschiderea festivalului.",
        ],
    },
    "tehnologie": {
        "stories": [
            (
                "Startup-ul {startup} atrage o finanțare de {funding} milioane de euro",
                "Fondatorii spun că banii vor fi folosiți pentru extinderea în Europa Centrală.",
            ),
            (
                "Rețeaua 5G ajunge în încă {towns} orașe",
                "Operatorii spun că acoperirea va crește mai repede după licitația de frecvențe.",
            ),
            (
                "Atac cibernetic asupra unor spitale din {city}; datele pacienților, verificate",
                "Specialiștii în securitate recomandă personalului schimbarea imediată a "
                "parolelor.",
            ),
            (
                "Guvernul lansează aplicația pentru {app_topic}",
                "Aplicația va fi disponibilă pe Android și iOS de luna viitoare.",
            ),
            (
                "Cercetători din {city} dezvoltă un senzor pentru {sensor_topic}",
                "Proiectul a pornit ca o lucrare de licență și a ajuns la un prototip funcțional.",
            ),
            (
                "Inteligența artificială în școli: un ghid pentru profesori",
                "Ministerul Educației vrea reguli clare pentru teme, evaluare și protecția "
                "datelor elevilor.",
            ),
            (
                "Internetul fix se ieftinește cu {pct}%, potrivit autorității de reglementare",
                "Concurența din orașele mari a împins prețurile în jos; la sate, ofertele rămân "
                "puține.",
            ),
            (
                "{startup} deschide un birou la {city} și angajează {count} de programatori",
                "Compania spune că a ales orașul pentru universități și pentru comunitatea de IT.",
            ),
            (
                "Plata cu telefonul, posibilă în autobuzele din {city}",
                "Sistemul funcționează cu orice card contactless și cu portofelele digitale.",
            ),
            (
                "Amendă pentru un operator de telecomunicații care a expus date personale",
                "Autoritatea de supraveghere spune că firma nu și-a securizat serverele.",
            ),
            (
                "Un supercalculator pentru cercetare, instalat la universitatea din {city}",
                "Echipamentul va fi folosit pentru modele climatice și pentru cercetare medicală.",
            ),
        ],
        "sentences": [
            "Directoratul Național de Securitate Cibernetică a confirmat incidentul.",
            "Atacatorii au folosit un e-mail de phishing trimis angajaților.",
            "Aplicația a fost descărcată de peste {count} de ori în prima săptămână.",
            "{startup} a fost fondat în {city} acum patru ani și are deja clienți în "
            "{countries} țări.",
            "Runda de finanțare a fost condusă de un fond de investiții din Europa de Vest.",
            "Autoritatea de reglementare spune că acoperirea a crescut cu {pct}% în ultimul an.",
            "Prototipul consumă foarte puțină energie și poate funcționa ani de zile pe baterie.",
            "Profesorii vor primi cursuri de formare înainte de începerea anului școlar.",
            "Datele sunt stocate pe servere din Uniunea Europeană, potrivit ministerului.",
            "Experții spun că atacurile de tip ransomware s-au înmulțit în ultimii doi ani.",
        ],
        "subheads": [
            "Cum funcționează",
            "Ce riscuri există",
            "Ce urmează pentru companie",
            "Sfaturi pentru utilizatori",
        ],
        "quotes": [
            "Securitatea nu este un produs, este un obicei.",
            "Vrem să construim din România produse folosite în toată lumea.",
            "Tehnologia trebuie să rezolve o problemă reală, nu să impresioneze.",
            "Am învățat mai mult din eșecuri decât din reușite.",
        ],
        "roles": [
            "m:cofondatorul {startup}",
            "expert în securitate informatică",
            "profesor la Universitatea Politehnica din {city}",
            "m:directorul tehnic al {company}",
        ],
        "links": [
            ("https://www.ancom.ro/", "raportul autorității de reglementare"),
            ("https://www.dnsc.ro/", "recomandările DNSC"),
        ],
        "captions": [
            "Programatori la lucru în biroul din {city}.",
            "Un centru de date din zona de nord a Bucureștiului.",
            "Prototipul senzorului, în laborator.",
        ],
    },
    "sanatate": {
        "stories": [
            (
                "Campania de vaccinare antigripală începe în {month}",
                "Medicii de familie spun că au primit deja primele doze.",
            ),
            (
                "Spitalul Județean din {city} primește un nou aparat RMN",
                "Pacienții din județele vecine nu vor mai fi nevoiți să meargă la București.",
            ),
            (
                "Medicii avertizează: cazurile de rujeolă cresc în {towns} județe",
                "Specialiștii recomandă vaccinarea copiilor conform calendarului național.",
            ),
            (
                "Studiu: {pct}% dintre adolescenți nu dorm suficient",
                "Cercetătorii leagă lipsa somnului de timpul petrecut pe telefon după ora 22.",
            ),
            (
                "Programul de screening pentru cancerul de col uterin se extinde",
                "Testarea va fi gratuită și în cabinetele medicilor de familie din mediul rural.",
            ),
            (
                "Caniculă: ce recomandă medicii pentru vârstnici și copii",
                "Autoritățile au emis cod portocaliu în mai multe județe până la sfârșitul "
                "săptămânii.",
            ),
            (
                "Timpii de așteptare la urgențe scad la {city}",
                "Spitalul a angajat medici noi și a reorganizat triajul.",
            ),
            (
                "Lipsa unor medicamente pentru tiroidă îngrijorează pacienții",
                "Autoritățile spun că situația este sub control, dar farmaciștii raportează "
                "stocuri mici.",
            ),
            (
                "Un nou centru de transplant se deschide la {city}",
                "Primele intervenții ar urma să aibă loc la începutul anului viitor.",
            ),
            (
                "Programul de prevenție cardiovasculară ajunge în {towns} județe",
                "Pacienții între 40 și 65 de ani își pot face gratuit analizele de bază.",
            ),
            (
                "Ambulanțele din {city} primesc echipamente noi de resuscitare",
                "Investiția a fost finanțată din fonduri europene și din bugetul local.",
            ),
        ],
        "sentences": [
            "Aparatul a costat aproximativ {mil} de milioane de lei, din fonduri europene.",
            "Medicii recomandă consumul de apă și evitarea expunerii la soare între orele 11 "
            "și 17.",
            "În ultimele patru săptămâni au fost raportate {count} de cazuri noi.",
            "Direcția de Sănătate Publică din {city} a anunțat controale în școli și grădinițe.",
            "Studiul a fost realizat pe un eșantion de peste {count} de elevi din {towns} județe.",
            "Pacienții se pot programa telefonic sau online, prin platforma spitalului.",
            "Spitalul are nevoie în continuare de medici anesteziști.",
            "Casa Națională de Asigurări de Sănătate spune că medicamentele vor fi compensate.",
            "Prevenția rămâne cea mai ieftină formă de tratament, spun specialiștii.",
            "Farmaciștii raportează o cerere mai mare decât de obicei pentru această perioadă.",
        ],
        "subheads": [
            "Ce trebuie să știe pacienții",
            "Cum vă protejați",
            "Situația din spitale",
            "Ce spun specialiștii",
        ],
        "quotes": [
            "Cu cât venim mai devreme la control, cu atât tratamentul e mai simplu.",
            "Nu este un motiv de panică, dar este un motiv de atenție.",
            "Pacienții nu ar mai trebui să aștepte luni întregi pentru o investigație.",
            "Vaccinarea rămâne cea mai bună protecție pe care o avem.",
        ],
        "roles": [
            "m:managerul Spitalului Județean {city}",
            "medic specialist în boli infecțioase",
            "m:președintele Colegiului Medicilor din {city}",
            "medic de familie din {city}",
        ],
        "links": [
            ("https://www.ms.ro/", "comunicatul Ministerului Sănătății"),
            ("https://www.who.int/", "recomandările Organizației Mondiale a Sănătății"),
            ("https://insp.gov.ro/", "datele Institutului Național de Sănătate Publică"),
        ],
        "captions": [
            "Un medic consultă un pacient într-un cabinet din {city}.",
            "Holul Spitalului Județean din {city}.",
            "Doze de vaccin pregătite într-un cabinet de familie.",
        ],
    },
    "opinii": {
        "stories": [
            (
                "De ce {opinion_topic} nu mai poate aștepta",
                "Discutăm de zece ani aceleași probleme, cu aceleași argumente și fără rezultate.",
            ),
            (
                "Editorial: {opinion_topic} și lecția pe care refuzăm să o învățăm",
                "Avem soluții testate în alte țări; ne lipsește doar voința să le aplicăm.",
            ),
            (
                "Scrisoare din {fcity}: cum arată Europa de acolo",
                "De departe, dezbaterile noastre par mai mici, iar problemele, mai ușor de "
                "rezolvat.",
            ),
            (
                "Comentariu: orașele noastre au nevoie de mai mult spațiu verde",
                "Un parc nu este un lux, ci o infrastructură la fel de importantă ca un drum.",
            ),
            (
                "Ce nu ne spune nimeni despre {opinion_topic}",
                "Uneori cea mai curajoasă decizie politică este să spui „nu știm încă”.",
            ),
            (
                "O țară care nu-și citește statisticile",
                "Avem date excelente despre aproape orice; le folosim doar când ne convin.",
            ),
            (
                "Despre răbdare, politică și {opinion_topic}",
                "Schimbările bune durează; cele proaste se fac peste noapte.",
            ),
            (
                "Scrisoare către un tânăr care vrea să plece din țară",
                "Nu îți cer să rămâi; îți cer doar să nu pleci pentru că ai renunțat.",
            ),
            (
                "Orașul de cincisprezece minute nu e un moft",
                "Distanțele scurte înseamnă timp câștigat, aer mai curat și vecini care se cunosc.",
            ),
        ],
        "sentences": [
            "Am ascultat în ultimele săptămâni zeci de declarații și prea puține idei.",
            "Cifrele sunt cunoscute, iar concluziile lor nu sunt deloc comode.",
            "Nimeni nu contestă nevoia unei schimbări; disputa este despre cine plătește.",
            "Orașele care au investit în transport public au astăzi mai puțin trafic, nu mai mult.",
            "Instituțiile nu câștigă încredere prin comunicate, ci prin decizii previzibile.",
            "Este tentant să dăm vina pe trecut, dar trecutul nu mai votează.",
            "Școala românească are profesori excelenți, dar îi folosește prost.",
            "O reformă bună se vede în viața oamenilor, nu în titlurile de a doua zi.",
            "Poate că întrebarea corectă nu este „cât costă?”, ci „cât ne costă să nu facem "
            "nimic?”.",
            "Dezbaterea publică ar câștiga enorm dacă am începe de la date, nu de la etichete.",
        ],
        "subheads": [
            "Problema reală",
            "Ce am putea face",
            "O lecție de la vecini",
        ],
        "quotes": [
            "Nu avem o criză de soluții, avem o criză de răbdare.",
            "O țară se schimbă în primării înainte să se schimbe în Parlament.",
            "Tăcerea este și ea o decizie politică.",
        ],
        "roles": [
            "m:un fost ministru al {ministry}",
            "sociolog la Universitatea din {city}",
            "f:profesoară de liceu din {city}",
        ],
        "links": [
            ("/section/politica/", "ultimele știri din politică"),
            ("/section/economie/", "secțiunea de economie"),
        ],
        "captions": [
            "O stradă din centrul orașului {city}, la ora de vârf.",
            "Elevi în curtea unei școli din {city}.",
        ],
    },
}

# Said of any story, whatever its section.
COMMON_SENTENCES = [
    "Subiectul a stârnit reacții puternice pe rețelele sociale încă din primele ore.",
    "Redacția a solicitat un punct de vedere instituțiilor implicate, dar nu a primit "
    "un răspuns până la publicarea acestui articol.",
    "Detaliile vor fi prezentate într-o conferință de presă programată pentru joi.",
    "Situația este urmărită cu atenție și de autoritățile locale din {city}.",
    "Este pentru prima dată în ultimii {years} ani când se întâmplă acest lucru.",
    "Documentul a fost consultat de redacție și are {pages} de pagini.",
    "Vom reveni cu informații pe măsură ce acestea devin disponibile.",
]

WIRE_SENTENCES = [
    "Informațiile au fost transmise de agenția {agency}.",
    "Potrivit {agency}, care citează surse oficiale, bilanțul ar putea fi actualizat.",
    "{agency} notează că reacțiile oficiale au întârziat câteva ore.",
]

CORRECTIONS = [
    "O versiune anterioară a acestui articol indica greșit orașul în care a avut loc "
    "evenimentul. Textul a fost corectat.",
    "Am corectat cifra din al doilea paragraf: valoarea exactă este {pct}%, nu {pct2}%.",
    "Într-o versiune anterioară, numele lui {person} era scris greșit. Ne cerem scuze.",
    "Titlul a fost corectat: decizia a fost amânată, nu respinsă.",
]
UPDATES = [
    "Articol actualizat cu reacția Ministerului {ministry}.",
    "Actualizare: ședința a fost reprogramată pentru joi la ora 10.",
    "Am adăugat declarațiile purtătorului de cuvânt, transmise după publicare.",
    "Actualizare: bilanțul oficial a fost revizuit de autorități.",
]

# --- Facts: the slots a template can name ---------------------------------------------------


def _ro_decimal(value: float, places: int = 1) -> str:
    return f"{value:.{places}f}".replace(".", ",")


def _ro_thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _de(value: int) -> str:
    """A count that reads right before "de": Romanian drops it after 1–19 (and x01–x19)."""
    if 1 <= value % 100 <= 19:
        value += 20
    return _ro_thousands(value)


FACTS = {
    "city": lambda r: r.choice(CITIES),
    "fcity": lambda r: r.choice(FOREIGN_CITIES),
    "country": lambda r: r.choice(COUNTRIES),
    "quake_country": lambda r: r.choice(["Turcia", "Grecia", "Japonia", "Italia", "Albania"]),
    "person": lambda r: f"{r.choice(MEN + WOMEN)} {r.choice(LAST_NAMES)}",
    "man": lambda r: f"{r.choice(MEN)} {r.choice(LAST_NAMES)}",
    "woman": lambda r: f"{r.choice(WOMEN)} {r.choice(LAST_NAMES)}",
    "ministry": lambda r: r.choice(MINISTRIES),
    "month": lambda r: r.choice(MONTHS),
    "policy": lambda r: r.choice(POLICIES),
    "local_topic": lambda r: r.choice(LOCAL_TOPICS),
    "intl_topic": lambda r: r.choice(INTL_TOPICS),
    "protest_topic": lambda r: r.choice(PROTEST_TOPICS),
    "opinion_topic": lambda r: r.choice(OPINION_TOPICS),
    "company": lambda r: r.choice(COMPANIES),
    "startup": lambda r: r.choice(STARTUPS),
    "team": lambda r: r.choice(TEAMS),
    "competition": lambda r: r.choice(COMPETITIONS),
    "tournament": lambda r: r.choice(TOURNAMENTS),
    "book": lambda r: r.choice(BOOKS),
    "app_topic": lambda r: r.choice(APP_TOPICS),
    "sensor_topic": lambda r: r.choice(SENSOR_TOPICS),
    "year": lambda r: str(r.choice([2025, 2026, 2027])),
    # Numbers that take "de" in Romanian are always 20 or more.
    "votes": lambda r: str(r.randint(64, 98)),
    "count": lambda r: _de(r.choice([r.randint(20, 99), r.randint(120, 9_800)])),
    "mil": lambda r: _de(r.randint(20, 480)),
    "salary": lambda r: _de(r.randint(5_100, 5_900)),
    "crowd": lambda r: _ro_thousands(r.randint(21, 48) * 1_000),
    "visitors": lambda r: _ro_thousands(r.randint(25, 140) * 1_000),
    "artists": lambda r: str(r.randint(20, 85)),
    "points": lambda r: str(r.randint(20, 58)),
    "pages": lambda r: _de(r.randint(24, 310)),
    "pct": lambda r: str(r.randint(3, 68)),
    "turnout": lambda r: str(r.randint(41, 78)),
    "decimal_pct": lambda r: _ro_decimal(r.uniform(1.2, 9.8)),
    "rate": lambda r: _ro_decimal(r.choice([5.75, 6.0, 6.25, 6.5, 6.75]), 2),
    "eur": lambda r: _ro_decimal(r.uniform(4.96, 5.12), 4),
    "fuel": lambda r: _ro_decimal(r.uniform(6.8, 7.9), 2),
    "magnitude": lambda r: _ro_decimal(r.uniform(4.6, 6.4)),
    "hours": lambda r: str(r.randint(6, 19)),
    "days": lambda r: str(r.randint(5, 15)),
    "weeks": lambda r: str(r.randint(2, 9)),
    "months": lambda r: str(r.randint(3, 11)),
    "years": lambda r: str(r.randint(5, 19)),
    "towns": lambda r: str(r.randint(3, 17)),
    "countries": lambda r: str(r.randint(4, 18)),
    "losses": lambda r: str(r.randint(3, 6)),
    "streak": lambda r: str(r.randint(2, 6)),
    "place": lambda r: str(r.randint(1, 6)),
    "minute": lambda r: str(r.randint(8, 90)),
    "transfer": lambda r: _ro_decimal(r.uniform(2.5, 9.5)),
    "funding": lambda r: _ro_decimal(r.uniform(1.5, 18)),
    "win": lambda r: r.choice(["1-0", "2-0", "2-1", "3-1", "3-2", "4-1"]),
    "draw": lambda r: r.choice(["1-1", "2-2", "3-3"]),
}


class Facts(dict):
    """Template slots filled on first use, so a story names the same city throughout.

    `{city2}` is another city than `{city}`; `{agency}` is set by the caller.
    """

    def __init__(self, rng: random.Random, **given):
        super().__init__(given)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        base = key.rstrip("0123456789")
        taken = {value for name, value in self.items() if name.rstrip("0123456789") == base}
        value = FACTS[base](self.rng)
        for _attempt in range(8):
            if value not in taken:
                break
            value = FACTS[base](self.rng)
        self[key] = value
        return value

    def fill(self, template: str) -> str:
        return template.format_map(self)


# --- Stories --------------------------------------------------------------------------------


@dataclass
class Story:
    headline: str
    standfirst: str
    body: str
    dateline: str
    caption: str
    tags: list[str] = field(default_factory=list)
    correction: str = ""
    update: str = ""


def _sentences(rng: random.Random, pool: list[str], count: int) -> list[str]:
    return rng.sample(pool, min(count, len(pool)))


def write_story(rng: random.Random, section: str, *, agency: str = "") -> Story:
    """A story for a section (a slug from SECTIONS), in the section's voice."""
    copy = COPY[section]
    facts = Facts(rng, agency=agency)
    headline, standfirst = (facts.fill(text) for text in rng.choice(copy["stories"]))
    opinion = section == "opinii"

    # The section's own sentences lead; stock newsroom phrases only come after the first
    # paragraph.
    sentences = _sentences(rng, copy["sentences"], rng.randint(7, 11))
    stock = [] if opinion else COMMON_SENTENCES + (WIRE_SENTENCES if agency else [])
    for sentence in _sentences(rng, stock, rng.randint(2, 4)):
        sentences.insert(rng.randint(3, len(sentences)), sentence)
    pool = copy["sentences"] + stock
    sentences = [facts.fill(sentence) for sentence in sentences]
    paragraphs = []
    while sentences:
        size = rng.randint(2, 3)
        paragraphs.append(" ".join(sentences[:size]))
        sentences = sentences[size:]

    role = rng.choice(copy["roles"])
    gender = ""
    if role[1:2] == ":":
        gender, role = role[0], role[2:]
    speaker = facts.fill({"m": "{man}", "f": "{woman}"}.get(gender, "{person2}"))
    role = facts.fill(role)
    quote = facts.fill(rng.choice(copy["quotes"]))
    url, link_text = rng.choice(copy["links"])
    subhead = facts.fill(rng.choice(copy["subheads"]))
    said = "spunea recent" if opinion else "a explicat pentru redacție"

    blocks = [f"<p>{paragraph}</p>" for paragraph in paragraphs]
    blocks.insert(min(2, len(blocks)), f"<h2>{subhead}</h2>")
    blocks.insert(
        min(4, len(blocks)),
        f"<p>{speaker}, {role}, {said}:</p><blockquote><p>„{quote}”</p></blockquote>",
    )
    if rng.random() < 0.25:
        items = "".join(f"<li>{facts.fill(s)}</li>" for s in _sentences(rng, pool, 3))
        blocks.insert(-1, f"<p>Pe scurt:</p><ul>{items}</ul>")
    closing = "" if opinion else " <em>Vom actualiza acest articol.</em>"
    blocks.append(f'<p>Mai multe detalii găsiți în <a href="{url}">{link_text}</a>.{closing}</p>')

    dateline = facts["fcity"] if section == "externe" else facts["city"]
    tags = _sentences(rng, SECTION_TAGS[section], rng.randint(1, 3))
    tags += _sentences(rng, COMMON_TAGS, max(0, rng.randint(2, 5) - len(tags)))
    return Story(
        headline=headline,
        standfirst=standfirst,
        body="".join(blocks),
        dateline=dateline,
        caption=facts.fill(rng.choice(copy["captions"])),
        tags=tags,
        correction=facts.fill(rng.choice(CORRECTIONS)),
        update=facts.fill(rng.choice(UPDATES)),
    )


def photo_credit(rng: random.Random, agency: str = "") -> str:
    """The credit as printed after the caption (templates add the "Photo" label)."""
    if agency and rng.random() < 0.7:
        return agency
    return f"{rng.choice(PHOTOGRAPHERS)} / Newsroom"


def wire_story_id(rng: random.Random, agency_slug: str) -> str:
    """An id shaped like the agency's own story ids."""
    upper = string.ascii_uppercase + string.digits
    pick = lambda alphabet, n: "".join(rng.choice(alphabet) for _ in range(n))  # noqa: E731
    if agency_slug == "reuters":
        return f"L{rng.randint(1, 8)}N3{pick(upper, 5)}"
    if agency_slug == "associated-press":
        return pick("0123456789abcdef", 32)
    if agency_slug == "afp":
        return f"AFP-{pick(upper, 6)}"
    if agency_slug == "bloomberg":
        return f"S{pick(upper, 11)}"
    if agency_slug == "dpa":
        return f"dpa:{rng.randint(240101, 261231)}-99-{rng.randint(100000, 999999)}"
    return str(rng.randint(1_000_000, 9_999_999))


# --- Pictures -------------------------------------------------------------------------------

# Two colours per section: the gradient runs from the first to the second.
PALETTES = {
    "politica": [((24, 42, 94), (170, 58, 64)), ((38, 50, 72), (196, 152, 70))],
    "economie": [((14, 70, 60), (214, 190, 90)), ((30, 44, 40), (90, 170, 120))],
    "externe": [((20, 60, 110), (120, 180, 220)), ((44, 36, 92), (220, 200, 120))],
    "sport": [((16, 90, 40), (236, 236, 210)), ((120, 20, 30), (240, 160, 60))],
    "cultura": [((80, 24, 80), (240, 170, 120)), ((30, 30, 30), (200, 120, 60))],
    "tehnologie": [((10, 20, 40), (40, 200, 220)), ((40, 16, 70), (90, 220, 160))],
    "sanatate": [((10, 90, 110), (230, 245, 245)), ((40, 110, 90), (200, 230, 210))],
    "opinii": [((60, 48, 40), (230, 220, 200)), ((30, 40, 60), (200, 200, 210))],
}
COLOUR_NAMES = {
    "politica": "albastru închis și roșu",
    "economie": "verde și auriu",
    "externe": "albastru și bleu",
    "sport": "verde și alb",
    "cultura": "violet și piersică",
    "tehnologie": "bleumarin și turcoaz",
    "sanatate": "turcoaz și alb",
    "opinii": "maro și bej",
}
LEAD_SIZE = (1200, 675)


# Fonts with Romanian letters, looked up in the system's font folders; Pillow's built-in font
# lacks "ă", "ș" and "ț", so with it the label falls back to plain letters.
FONT_FILES = ["DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf", "Arial.ttf"]


@functools.cache
def _font(size: int) -> tuple[ImageFont.ImageFont | ImageFont.FreeTypeFont, bool]:
    """A font at this size, and whether it draws Romanian letters."""
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _draw_text(draw: ImageDraw.ImageDraw, xy, text: str, size: int, **kwargs) -> None:
    font, has_diacritics = _font(size)
    if not has_diacritics:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    draw.text(xy, text, font=font, **kwargs)


def lead_image(rng: random.Random, section: str, label: str) -> bytes:
    """A 1200×675 JPEG: the section's gradient, a few translucent shapes and a label."""
    start, end = rng.choice(PALETTES[section])
    gradient = Image.linear_gradient("L").rotate(rng.choice([0, 90, 180, 270]))
    picture = ImageOps.colorize(gradient.resize(LEAD_SIZE), start, end).convert("RGBA")
    width, height = LEAD_SIZE

    shapes = Image.new("RGBA", LEAD_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    for _shape in range(rng.randint(6, 10)):
        x, y = rng.randint(-150, width), rng.randint(-150, height - 150)
        size = rng.randint(90, 460)
        colour = (*rng.choice([start, end, (255, 255, 255)]), rng.randint(60, 140))
        if rng.random() < 0.5:
            draw.ellipse([x, y, x + size, y + size], fill=colour)
        else:
            draw.rectangle([x, y, x + size, y + size // 2], fill=colour)
    picture = Image.alpha_composite(picture, shapes.filter(ImageFilter.GaussianBlur(2)))

    band = Image.new("RGBA", LEAD_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(band)
    draw.rectangle([0, height - 130, width, height], fill=(0, 0, 0, 140))
    _draw_text(draw, (48, height - 112), label, 58, fill=(255, 255, 255, 255))
    _draw_text(
        draw, (50, height - 38), "Newsroom · imagine demonstrativă", 20, fill=(220, 220, 220, 255)
    )
    picture = Image.alpha_composite(picture, band)
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "JPEG", quality=82, optimize=True)
    return buffer.getvalue()


def lead_image_alt(section: str, label: str) -> str:
    return (
        f"Ilustrație abstractă în nuanțe de {COLOUR_NAMES[section]}, "
        f"cu cercuri și dreptunghiuri translucide și inscripția „{label}”"
    )


def portrait(rng: random.Random, initials: str) -> bytes:
    """A 400×400 JPEG: a head-and-shoulders silhouette on a coloured ground, with initials."""
    background = rng.choice([colour for pair in PALETTES.values() for colour, _end in pair])
    picture = Image.new("RGB", (400, 400), background)
    draw = ImageDraw.Draw(picture)
    shade = tuple(min(255, channel + 90) for channel in background)
    draw.ellipse([130, 70, 270, 210], fill=shade)
    draw.ellipse([60, 230, 340, 520], fill=shade)
    _draw_text(draw, (200, 345), initials, 40, fill=background, anchor="mm")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
