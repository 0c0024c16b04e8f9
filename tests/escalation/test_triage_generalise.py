"""The general mechanisms behind rules 2025.11.3 (one example each, worded apart from the data sets).

Each case exercises a mechanism rather than one phrase: a weak cue woken by another, a place
beside an intent, a final arrangement beside distress, joined-up slang split into the words a
rule says, a strong signal inside a weak phrase, a hyperbole that gives no context.
"""

import pytest

from escalation.triage import Engine, assess


def level(text):
    return assess(text).level


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A place alone, or beside a day, is ordinary; beside an intent or a farewell it is a plan.
        ("Lovely walk along the viaduct on Saturday with the kids.", "none"),
        ("Parked at the viaduct. Not going back home after tonight.", "imminent"),
        ("up on the roof of my building right now and everything is too much", "imminent"),
        # Two different vague intents wake each other; one alone stays quiet.
        ("I've got everything ready.", "none"),
        ("I've got everything ready. I'm not coming back.", "high"),  # no time: a veiled farewell
        # Final arrangements: ordinary alone, imminent beside hopelessness.
        ("Finally sorted out a will with the solicitor, such a relief.", "none"),
        ("Sorted out a will and rehomed my hamster. I feel so hopeless.", "imminent"),
        # An act said vaguely needs a real signal, never just a time.
        ("It's done! Exams over, party tonight.", "none"),
        ("took them all. the painkillers. sorry everyone", "imminent"),
    ],
)
def test_weak_cues_need_the_right_company(text, expected):
    assert level(text) == expected


@pytest.mark.parametrize(
    "text",
    ["killmyself thoughts again", "thinking about sewerslide", "s e w e r s l i d e on my mind"],
)
def test_joined_and_spaced_slang_reads_as_the_plain_words(text):
    assert level(text) == "high"


def test_ordinary_compounds_are_not_split():
    engine = Engine()
    words = engine.normaliser.words("the breakdown truck and the bedroom").words
    assert len(words) == 6  # neither "break down" nor "bed room"
    assert "sewer" in engine.normaliser.words("sewerslide").words


def test_strong_signal_is_not_hidden_inside_a_weak_phrase():
    # "how many * would it take" is weak (it is also a maths question); the means inside is not.
    assert level("how many days would it take to walk to Bath") == "none"
    assert level("how many of my painkillers would it take") == "high"


def test_hyperbole_gives_no_context_to_a_weak_intent():
    assert level("if they cancel the tour I'm gonna jump off a bridge lol") == "none"
    # Said in earnest it is an intent with a method: a plan (rule 8 takes the higher level).
    assert level("if they cancel the tour I'm gonna jump off a bridge, I'm not joking") == "imminent"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("If the court rules against me I'm done, and I mean it.", "high"),
        ("If the court rules against me I'm done lol", "none"),
    ],
)
def test_conditional_intent_said_in_earnest_is_high(text, expected):
    assert level(text) == expected


def test_topic_framing_yields_to_an_explicit_denial_of_it():
    assert (
        level("Reading about which pills are the most dangerous in large amounts for my nursing course.")
        == "none"
    )
    assert (
        level("Reading about which pills are the most dangerous in large amounts. Not for a project.")
        == "high"
    )


def test_someone_else_sending_a_goodbye_and_not_answering_is_imminent():
    assert level("My sister texted me goodbye an hour ago and now she isn't picking up") == "imminent"
    assert level("My sister said goodbye at the airport, she's off to Spain for a month.") == "none"


def test_supportive_reply_distress_words_are_not_the_authors():
    assert level("You don't have to be alone with this, please reach out to the helpline.") == "none"


def test_an_idiom_filling_a_gap_silences_the_wildcard_signal():
    assert level("Took my morning tablets with a coffee, feeling fine.") == "none"
    assert level("Took all my tablets an hour ago.") == "imminent"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tonight's the night! Big gig, wish me luck.", "none"),
        ("Tonight's the night. I've said my goodbyes.", "imminent"),
        ("If we lose the final I'm done with rugby, not joking.", "none"),
        ("If she leaves I'm done, not joking.", "high"),
    ],
)
def test_vague_intent_beside_a_harmless_or_trivial_frame(text, expected):
    assert level(text) == expected


def test_apostrophe_slang_is_read_before_the_apostrophe_is_dropped():
    assert level("i od'd 10 mins ago") == "imminent"
    assert level("that was odd, see you tomorrow") == "none"


def test_a_method_question_to_anyone_is_research_not_an_address():
    assert level("does anyone know if a fall from the sixth floor window would definitely kill you") == "high"
    assert level("If you're thinking of jumping off the bridge, please reach out. You matter.") == "none"


# Rules 2025.11.17: the general causes of the first reading of the 22-* probe (worded apart from it).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Final arrangements beside a real intent stay, whatever frame the giving-away is in; the
        # same giving-away beside a move is harmless.
        (
            "Dropped my vinyl at the charity shop and gave my bike to my cousin. "
            "Soon I won't have to deal with any of it.",
            "imminent",
        ),
        (
            "Dropped my old vinyl at the charity shop and gave my bike to my cousin. "
            "Clearing out before the move!",
            "none",
        ),
        # Someone else's preparation is high; a bare "right now" beside "seems fine" is where they
        # are, not a danger; not answering is.
        (
            "My brother has been giving his guitars away and said 'you'll know where the paperwork is'. "
            "He's at the pub right now and seems fine.",
            "high",
        ),
        (
            "My brother has been giving his guitars away and said 'you'll know where the paperwork is'. "
            "He isn't answering his phone.",
            "imminent",
        ),
        # Pests and weather "took the lot"; a person taking the lot is an overdose.
        ("The slugs took the lot this year, not a single lettuce left.", "none"),
        ("I took the lot, all of them, an hour ago.", "imminent"),
        # Traffic is not distress; feeling stuck is.
        ("Stuck behind a bin lorry for twenty minutes this morning.", "none"),
        ("I feel so stuck lately, nothing changes.", "low"),
        # A countdown is a timeline; goodbye posts worded as "already over", "the last thing".
        ("Two days left until I don't have to do this anymore.", "imminent"),
        ("By the time any of you see this it'll already be over.", "imminent"),
        ("This is the last thing I'll ever write on here.", "imminent"),
        # Afrikaans reads like the plain statement.
        ("Ek wil myself doodmaak.", "high"),
    ],
)
def test_probe22_mechanisms(text, expected):
    assert level(text) == expected


# Rules 2025.11.18: the general causes of the first reading of the 23-* probe (worded apart from it).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A signal that begins with "I" is the author's, whoever the sentence named before it; an
        # overdose an hour ago that the author can feel is happening now.
        ("I took all of them twenty minutes ago and I feel kind of far away.", "imminent"),
        ("I took some of the cake an hour ago, delicious.", "none"),
        # "Five years ago today": the day is an anniversary, the attempt is history.
        ("Five years ago today I tried to end my life, and I'm okay now.", "low"),
        # A one-word outburst is read with the sentence after it.
        ("kms. spilled coffee all over my laptop in the meeting", "none"),
        ("kms. I can't do this anymore.", "high"),
        # A trivial word inside a time ("after my shift") is the time, not a hyperbole's topic.
        ("gonna unalive myself after my shift tonight, it's all in my bag", "imminent"),
        # Final arrangements beside a means with a day, even beside a harmless word ("fridge").
        (
            "Paid the rent through to June and left instructions for the cat by the fridge. Sunday ⚰️",
            "imminent",
        ),
        ("Left instructions for the cat by the fridge, off to Spain for a week!", "none"),
    ],
)
def test_probe23_mechanisms(text, expected):
    assert level(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A recovery cue in another clause, or a relapse, leaves a recent act current; in the act's
        # own clause it makes the act history.
        ("Therapy helped but last night I cut again.", "high"),
        ("Cut again last night after four months clean.", "high"),
        ("Two years clean from cutting today, therapy helped so much.", "low"),
        # "Reading about" something ordinary is a topic, not research into a method.
        ("Reading about how long it takes to bake sourdough.", "none"),
    ],
)
def test_recovery_relapse_and_research_time(text, expected):
    assert level(text) == expected


# Rules 2025.11.19: other languages (written apart from the 24-* probe, with harmless look-alikes).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kabhi lagta hai main na hota toh sab khush rehte.", "moderate"),
        ("Mere bina sab behtar rahenge, jeene ka koi matlab nahi.", "moderate"),
        ("Kal raat maine phir se khud ko cut kiya.", "high"),
        ("Sab ko Allah Hafiz. Aaj raat ke baad main kisi pe bojh nahi banungi.", "imminent"),
        ("Allah hafiz sab ko, kal milte hain!", "none"),
        ("Yaar garmi se mar gaye aaj", "none"),
        ("Rabb mainu chukk le, bas eh hi chahunda.", "moderate"),
        ("Mainu lagda main nahar vich chhaal maar deni aa.", "high"),
        ("بفكر أنتحر كل يوم", "high"),
        ("نفسي أموت وأرتاح", "moderate"),
        ("هذي آخر رسالة مني. الليلة خلاص قررت", "imminent"),
        ("صح والله كلامك", "none"),
        ("متت من الضحك على الفيديو 😂", "none"),
        ("ana 3ayez amoot bgad", "moderate"),
        ("ana bafakar f el ente7ar", "high"),
        ("ana gebt el 7obob w ha5odhom kollohom el leila", "imminent"),
        ("ma3 el salama, ashofak bokra", "none"),
        ("Vreau să mă sinucid, nu mai pot.", "high"),
        ("Am luat toate pastilele. Adio.", "imminent"),
        ("Mor de râs, ce film prost", "none"),
        ("Aș vrea să mor uneori, sincer.", "moderate"),
        ("M-am tăiat din nou ieri.", "high"),
        ("M-am tăiat la deget când găteam.", "none"),
        ("Dw i isio mynd i gysgu a byth deffro.", "moderate"),
        ("Mae pawb yn well hebdda i.", "moderate"),
        ("Ba mhaith liom codladh agus gan dúiseacht choíche.", "moderate"),
        ("Seo mo phost deireanach. Slán libh go léir.", "imminent"),
        ("Almal sal beter af wees sonder my.", "moderate"),
        ("Ek het my goed weggegee en 'n afskeidsbrief geskryf. Vanaand is dit verby.", "imminent"),
        ("Ma mère va me tuer si je rate le bus 😂", "none"),
        ("Il y a des années j'ai fait une tentative de suicide, aujourd'hui je vais beaucoup mieux.", "low"),
        ("J'ai envie de me scarifier mais je résiste.", "moderate"),
        ("Mi sono tagliata i capelli da sola, disastro 😂", "none"),
        ("Anni fa mi tagliavo, ora sto molto meglio.", "low"),
        ("Voglio ammazzarmi, ci penso sempre.", "high"),
        ("Mia madre sta regalando le sue cose e ho paura.", "high"),
        ("Meine Mutter wird mich umbringen, wenn sie das sieht 😂", "none"),
        ("Nach meinem Selbstmordversuch letzte Woche bin ich wieder zu Hause.", "high"),
        ("Amar ar bachte chai na.", "moderate"),
        ("Ami nijeke sesh kore debo bhabchi.", "high"),
        ("Sobaike biday. Aj rate sob sesh.", "imminent"),
        ("Hashte hashte more gelam 😂", "none"),
        ("Gusto kong magpakamatay.", "high"),
        ("Paalam sa lahat. Ngayong gabi tatapusin ko na ang buhay ko.", "imminent"),
        ("Malungkot ako at pagod na ako.", "low"),
        ("Tatapusin ko na 'to mamaya, homework lang.", "none"),
        ("Estou em cima da ponte agora mesmo.", "imminent"),
        ("Não aguento mais, sério.", "moderate"),
        ("Amanhã de manhã vou estar no trabalho.", "none"),
        ("Ya no voy a estar mucho más aquí.", "high"),
        ("Mi jefe me va a matar si llego tarde.", "none"),
        ("Es ist alles vorbereitet für die Party morgen", "none"),
        ("jutro to skończę, praca domowa", "none"),
        ("To mój ostatni wpis. Żegnajcie wszyscy.", "imminent"),
        ("È tutto pronto per la cena di domani!", "none"),
        ("Kal subah office jaana hai, allah hafiz", "none"),
        ("Merci pour tout, à demain !", "none"),
        ("Gracias por todo, nos vemos mañana", "none"),
        ("Estoy muy agobiada con el trabajo", "low"),
        ("Kaam ho gaya, ab ghar ja raha hoon", "none"),
    ],
)
def test_other_languages_read_like_the_plain_statement(text, expected):
    assert level(text) == expected


# Rules 2025.11.20: the general causes of the 27-* to 30-* probes (worded apart from them).
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Emoji with a meaning: a bridge or a gun reads as the word, in context.
        ("Standing on the 🌉 right now and I can't do this anymore", "imminent"),
        ("Lovely 🌉 photo from our holiday in Sydney", "none"),
        ("Nerf 🔫 battle with the kids this afternoon", "none"),
        ("Dad's 🔫 is in the cupboard and I keep thinking about it", "high"),
        # A wish around an idiom: the idiom "I died" silences the composition, not the wish that
        # holds it; the idiom alone stays an idiom.
        ("I wouldn't be bothered if I died tonight", "moderate"),
        ("I could have died laughing", "none"),
        # "Suicide" and "overdose" in names and treats.
        ("I overdosed on chocolate cake at the party", "none"),
        ("Suicide squeeze in the ninth, what a game", "none"),
    ],
)
def test_probe27_to_30_mechanisms(text, expected):
    assert level(text) == expected
