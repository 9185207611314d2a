"""Fellegi–Sunter weights estimated by EM without labels recover what the data hides."""

from __future__ import annotations

import numpy as np

from medshare.identity import clustering
from medshare.identity.scoring import FieldSpec, best_f1, em, estimate_u, match_weights, probability

SPECS = (FieldSpec("a", ("same", "different")), FieldSpec("b", ("same", "close", "different")),
         FieldSpec("c", ("same", "different")))


def simulated(n_match: int, n_non: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    match = np.stack([rng.choice(2, n_match, p=[0.95, 0.05]), rng.choice(3, n_match, p=[0.8, 0.15, 0.05]),
                      rng.choice(2, n_match, p=[0.9, 0.1])], 1)
    non = np.stack([rng.choice(2, n_non, p=[0.1, 0.9]), rng.choice(3, n_non, p=[0.02, 0.08, 0.9]),
                    rng.choice(2, n_non, p=[0.2, 0.8])], 1)
    return np.concatenate([match, non]).astype(np.int8), np.r_[np.ones(n_match), np.zeros(n_non)].astype(bool)


def test_em_recovers_the_share_of_matches_and_their_m_probabilities():
    gamma, _ = simulated(3_000, 7_000)
    weights = em(gamma, SPECS, prior=0.5)
    assert abs(weights.prior - 0.3) < 0.03
    assert abs(weights.m["a"][0] - 0.95) < 0.03
    assert abs(weights.m["b"][0] - 0.8) < 0.05


def test_random_pairs_give_u_and_the_weights_separate_matches():
    gamma, truth = simulated(2_000, 8_000)
    random_pairs, _ = simulated(0, 5_000, seed=9)
    weights = em(gamma, SPECS, u=estimate_u(random_pairs, SPECS))
    scores = match_weights(gamma, weights)
    assert scores[truth].mean() > 0 > scores[~truth].mean()
    f1, _ = best_f1(scores, truth, int(truth.sum()))
    assert f1 > 0.85
    assert 0 < probability(0.0) == 0.5


def test_missing_fields_carry_no_weight():
    gamma, _ = simulated(1_000, 1_000)
    weights = em(gamma, SPECS)
    both = match_weights(np.array([[0, -1, -1]], dtype=np.int8), weights)[0]
    assert both == weights.level_weight("a", 0) + weights.prior_weight()


def test_blocking_pairs_records_sharing_any_key_once():
    pairs = clustering.candidate_pairs([["x", "y"], ["x", "y"], ["z", None], ["z", "y"]])
    assert sorted(map(tuple, pairs.tolist())) == [(0, 1), (0, 3), (1, 3), (2, 3)]


def test_clustering_never_joins_two_different_valid_ids():
    from medshare.identity import matching

    a = matching.profile(1, name="张伟", national_id="350403198005170011", phone="13900000000")
    b = matching.profile(2, name="张伟", phone="13900000000")
    c = matching.profile(3, name="张伟", national_id="350403198005170031", phone="13900000000")
    plan = clustering.cluster([a, b, c], weights=matching.DEFAULT_WEIGHTS, link_probability=0.5,
                              review_probability=0.01)
    assert plan.cluster_of[0] != plan.cluster_of[2]
    assert plan.reviews
