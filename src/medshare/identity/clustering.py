"""Linking a whole region at once: blocking, EM training, scoring and constrained clustering.

Pure: profiles in, clusters out. Used by `medshare identity relink` and by the benchmark. The
clustering honours the same rules as online linking: an exact valid ID links; two different
valid IDs never end up in one person automatically; rejected pairs stay apart; records a
person fixed by hand keep their person.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from medshare.identity import matching
from medshare.identity.matching import Profile
from medshare.identity.scoring import Weights, em, estimate_u, probability

BLOCK_LIMIT = 50  # a key shared by more records than this (a clinic's phone) blocks nothing
RANDOM_PAIRS = 100_000


def candidate_pairs(keys: Sequence[Iterable[str | None]], limit: int = BLOCK_LIMIT) -> np.ndarray:
    """Index pairs (i < j) of records sharing any key, each pair once."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, record_keys in enumerate(keys):
        for key in record_keys:
            if key:
                groups[key].append(i)
    codes: list[np.ndarray] = []
    n = len(keys)
    for members in groups.values():
        if 1 < len(members) <= limit:
            idx = np.asarray(members, dtype=np.int64)
            left, right = np.triu_indices(len(idx), k=1)
            a, b = idx[left], idx[right]
            codes.append(np.minimum(a, b) * n + np.maximum(a, b))
    if not codes:
        return np.empty((0, 2), dtype=np.int64)
    unique = np.unique(np.concatenate(codes))
    return np.stack([unique // n, unique % n], axis=1)


def prefixed_keys(p: Profile) -> list[str | None]:
    """The profile's blocking keys, each prefixed by its kind so kinds never collide."""
    return [f"{kind}:{value}" if value else None for kind, value in matching.blocking_keys(p).items()]


def train(profiles: Sequence[Profile], pairs: np.ndarray, gamma: np.ndarray, *, seed: int = 1) -> Weights:
    """m/u weights for the region: u from random pairs, m and the prior by EM over the candidate pairs."""
    rng = random.Random(seed)
    n = len(profiles)
    sample = min(RANDOM_PAIRS, n * (n - 1) // 2)
    random_pairs = []
    for _ in range(sample):
        i, j = rng.randrange(n), rng.randrange(n)
        if i != j:
            random_pairs.append((profiles[i], profiles[j]))
    u = estimate_u(matching.gamma_matrix(random_pairs), matching.FIELDS)
    weights = em(gamma, matching.FIELDS, u=u, prior=0.3)
    weights.extra = {"random_pairs": len(random_pairs), "records": n}
    return weights


@dataclass
class Constraints:
    """What manual decisions fix: persons that must stay apart, and pairs never to be joined."""

    fixed_person: dict[int, int] = field(default_factory=dict)  # record id -> person id set by hand
    rejected: set[tuple[int, int]] = field(default_factory=set)  # (low record id, high record id)


@dataclass
class Edge:
    """A scored candidate pair of record positions."""

    a: int
    b: int
    weight: float
    probability: float
    gamma: tuple[int, ...]


class _Clusters:
    """Union-find whose clusters carry their valid IDs, hand-fixed person and rejected partners."""

    def __init__(self, profiles: Sequence[Profile], constraints: Constraints) -> None:
        self.parent = list(range(len(profiles)))
        self.ids = [{p.national_id} if p.national_id else set() for p in profiles]
        self.fixed = [constraints.fixed_person.get(p.record_id) for p in profiles]
        position = {p.record_id: i for i, p in enumerate(profiles)}
        self.members: list[set[int] | None] = [None] * len(profiles)
        self.rejects: list[set[int]] = [set() for _ in profiles]
        for low, high in constraints.rejected:
            if low in position and high in position:
                self.rejects[position[low]].add(position[high])
                self.rejects[position[high]].add(position[low])
        # Records fixed to one person by hand start as one cluster.
        by_person: dict[int, int] = {}
        for i, person in enumerate(self.fixed):
            if person is not None:
                if person in by_person:
                    self._join(by_person[person], i)
                else:
                    by_person[person] = i

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def _members(self, root: int) -> set[int]:
        if self.members[root] is None:
            self.members[root] = {root}
        return self.members[root]

    def _join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if len(self._members(ra)) < len(self._members(rb)):
            ra, rb = rb, ra
        self.parent[rb] = ra
        self._members(ra).update(self._members(rb))
        self.ids[ra] |= self.ids[rb]
        self.rejects[ra] |= self.rejects[rb]
        self.fixed[ra] = self.fixed[ra] if self.fixed[ra] is not None else self.fixed[rb]
        self.members[rb], self.rejects[rb] = None, set()

    def allowed(self, a: int, b: int) -> str | None:
        """None if the clusters of a and b may join, else why not."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        if len(self.ids[ra] | self.ids[rb]) > 1:
            return "id-conflict"
        if self.fixed[ra] is not None and self.fixed[rb] is not None and self.fixed[ra] != self.fixed[rb]:
            return "manual"
        if self.rejects[ra] & self._members(rb):
            return "rejected"
        return None

    def join(self, a: int, b: int) -> bool:
        """Join the clusters of a and b if the rules allow; whether they are now one."""
        if self.allowed(a, b) is not None:
            return self.find(a) == self.find(b)
        self._join(a, b)
        return True


@dataclass
class Plan:
    """The region's clusters, and the pairs a person should look at."""

    cluster_of: list[int]  # position -> cluster root
    how: list[str]  # position -> "deterministic-id", "probabilistic" or "new"
    score: list[float | None]  # position -> weight of the edge that linked it
    reviews: list[Edge]
    weights: Weights
    pairs: int


def cluster(profiles: Sequence[Profile], *, weights: Weights | None = None, link_probability: float,
            review_probability: float, constraints: Constraints | None = None, train_seed: int = 1) -> Plan:
    """Cluster profiles into persons under the policy's thresholds; train weights when none are given."""
    constraints = constraints or Constraints()
    pairs = candidate_pairs([prefixed_keys(p) for p in profiles])
    gamma = matching.gamma_matrix([(profiles[i], profiles[j]) for i, j in pairs])
    if weights is None:
        weights = train(profiles, pairs, gamma, seed=train_seed)
    from medshare.identity.scoring import match_weights

    scores = match_weights(gamma, weights) if len(pairs) else np.empty(0)
    probs = probability(scores) if len(pairs) else np.empty(0)
    clusters = _Clusters(profiles, constraints)
    how = ["new"] * len(profiles)
    score: list[float | None] = [None] * len(profiles)
    for i, p in enumerate(profiles):
        if p.record_id in constraints.fixed_person:
            how[i] = "manual"
    # Exact valid IDs first: they link whatever the other fields say.
    id_column = matching.FIELD_INDEX["national_id"]
    exact = np.flatnonzero(gamma[:, id_column] == 0) if len(pairs) else np.empty(0, dtype=int)
    for k in exact:
        a, b = (int(x) for x in pairs[k])
        if clusters.join(a, b):
            for x in (a, b):
                if how[x] == "new":
                    how[x], score[x] = "deterministic-id", float(scores[k])
    order = np.argsort(-scores) if len(pairs) else np.empty(0, dtype=int)
    reviews: list[Edge] = []
    for k in order:
        prob = float(probs[k])
        if prob < review_probability:
            break
        a, b = (int(x) for x in pairs[k])
        if clusters.find(a) == clusters.find(b):
            continue
        edge = Edge(a, b, float(scores[k]), prob, tuple(int(g) for g in gamma[k]))
        if prob >= link_probability and clusters.allowed(a, b) is None:
            clusters.join(a, b)
            for x in (a, b):
                if how[x] == "new":
                    how[x], score[x] = "probabilistic", float(scores[k])
        elif clusters.allowed(a, b) in (None, "id-conflict"):
            reviews.append(edge)
    roots = [clusters.find(i) for i in range(len(profiles))]
    # One review per pair of clusters (the strongest), and none within a cluster.
    seen: set[tuple[int, int]] = set()
    kept = []
    for edge in reviews:
        ra, rb = roots[edge.a], roots[edge.b]
        if ra == rb:
            continue
        key = (min(ra, rb), max(ra, rb))
        if key not in seen:
            seen.add(key)
            kept.append(edge)
    return Plan(roots, how, score, kept, weights, len(pairs))


def pairwise_scores(clusters: Sequence[int], truth: Sequence[int]) -> dict[str, float]:
    """Precision, recall and F1 of the same-person pairs a clustering implies, against the true ones."""
    from collections import Counter

    from medshare.identity.scoring import precision_recall_f1

    def pairs_of(counter: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counter.values())

    predicted = pairs_of(Counter(clusters))
    actual = pairs_of(Counter(truth))
    correct = pairs_of(Counter(zip(clusters, truth, strict=True)))
    return precision_recall_f1(predicted, correct, actual) | {"predicted_pairs": predicted,
                                                               "true_pairs": actual}
