"""Use cases of accounts: users, password checks, bearer tokens and web sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from medshare.accounts import rules
from medshare.accounts.models import AuthToken, LoginAttempt, Role, TokenKind, User
from medshare.accounts.schemas import UserIn, UserPatch
from medshare.audit.service import record_event
from medshare.db import utcnow
from medshare.errors import Conflict, DomainError, InvalidInput, NotFound, Unauthenticated
from medshare.permissions import Permission, Principal, Scope, authorize, scope_of

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-password")


def hash_password(password: str) -> str:
    """An argon2id hash of password."""
    return _hasher.hash(password)


def principal_of(user: User) -> Principal:
    """The account as authorisation sees it."""
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        institution_id=user.institution_id,
        practitioner_id=user.practitioner_id,
        patient_record_id=user.patient_record_id,
        locale=user.locale,
    )


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    return user


def get_user_by_name(session: Session, username: str) -> User:
    user = session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"user {username} does not exist")
    return user


def create_user(session: Session, actor: Principal | None, data: UserIn) -> User:
    """Open an account; actor None is the operator at the command line, who may create any."""
    if actor is not None:
        authorize(actor, Permission.USER_WRITE, institutions=[data.institution_id])
        rules.check_assignable(actor.role, data.role)
    rules.check_binding(data.role, data.institution_id, data.patient_record_id)
    rules.check_password(data.password)
    if session.scalar(sa.select(User.id).where(User.username == data.username)) is not None:
        raise Conflict.on("username", "unique", "is already taken")
    user = User(
        **data.model_dump(exclude={"password"}),
        password_hash=hash_password(data.password),
    )
    session.add(user)
    session.flush()
    record_event(session, actor, "user.create", "user", user.id, institution_id=user.institution_id,
                 details={"role": user.role.value})
    return user


def update_user(session: Session, actor: Principal, user: User, patch: UserPatch) -> User:
    """Change an account; a password change or deactivation ends its sessions and tokens."""
    changes = patch.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None:  # every field of an account has a value: null cannot mean "remove"
            raise InvalidInput.on(name, "not-null", "cannot be null; leave it out to keep it")
    if not (changes.keys() <= {"locale", "display_name", "password"} and actor.user_id == user.id):
        authorize(actor, Permission.USER_WRITE, institutions=[user.institution_id])
        rules.check_assignable(actor.role, user.role)
    if "role" in changes:
        rules.check_assignable(actor.role, changes["role"])
        rules.check_binding(changes["role"], user.institution_id, user.patient_record_id)
    if "password" in changes:
        rules.check_password(changes["password"])
        user.password_hash = hash_password(changes.pop("password"))
        revoke_all_tokens(session, user)
    if changes.get("active") is False:
        revoke_all_tokens(session, user)
    for key, value in changes.items():
        setattr(user, key, value)
    session.flush()
    record_event(session, actor, "user.update", "user", user.id, institution_id=user.institution_id,
                 details={"fields": sorted(patch.model_dump(exclude_unset=True))})
    return user


def deactivate_user(session: Session, actor: Principal, user: User) -> User:
    """Close an account and end its sessions and tokens; nobody closes their own."""
    if user.id == actor.user_id:
        raise InvalidInput.on("user_id", "not-self", "an account cannot deactivate itself")
    return update_user(session, actor, user, UserPatch(active=False))


def list_users(session: Session, actor: Principal, *, q: str = "", institution_id: int | None = None,
               role: Role | None = None, limit: int = 20, offset: int = 0) -> tuple[list[User], int]:
    """Accounts the actor may see."""
    authorize(actor, Permission.USER_READ, institutions=[actor.institution_id])
    query = sa.select(User)
    if scope_of(actor, Permission.USER_READ) is not Scope.ANY:
        query = query.where(User.institution_id == actor.institution_id)
    if institution_id is not None:
        query = query.where(User.institution_id == institution_id)
    if role is not None:
        query = query.where(User.role == role)
    if q:
        query = query.where(User.username.contains(q, autoescape=True))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.username).limit(limit).offset(offset)).all()
    return list(rows), total


def authenticate(session: Session, username: str, password: str) -> User:
    """The active account with these credentials, or Unauthenticated (never saying which part was wrong)."""
    user = session.scalar(sa.select(User).where(User.username == username))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise Unauthenticated("the username or password is wrong")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(session: Session, user: User, kind: TokenKind, lifetime: dt.timedelta) -> tuple[str, AuthToken]:
    """A new random token for user; only its digest is stored, the raw value is returned once."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    token = AuthToken(user=user, digest=_digest(raw), kind=kind.value, created_at=now,
                      expires_at=now + lifetime)
    session.add(token)
    session.flush()
    record_event(session, principal_of(user), f"{kind.value}.open", "auth_token", token.id,
                 institution_id=user.institution_id)
    return raw, token


def user_for_token(session: Session, raw: str, kind: TokenKind) -> User | None:
    """The active account a live token of this kind belongs to, if any."""
    token = session.scalar(sa.select(AuthToken).where(AuthToken.digest == _digest(raw)))
    if token is None or token.kind != kind.value or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    return token.user if token.user.active else None


def revoke_token(session: Session, raw: str) -> None:
    """End one session or token (logout)."""
    token = session.scalar(sa.select(AuthToken).where(AuthToken.digest == _digest(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(session, principal_of(token.user), f"{token.kind}.close", "auth_token", token.id,
                     institution_id=token.user.institution_id)


def revoke_all_tokens(session: Session, user: User) -> None:
    """End every session and token of user."""
    now = utcnow()
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at = now


# -- sign-in rate limiting and lockout -------------------------------------------------------


class TooManyAttempts(DomainError):
    """Too many failed sign-ins for this name or from this address; retry_after says for how long (seconds)."""

    status = 429
    code = "too-many-attempts"
    title = "Too many attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def login_policy(settings) -> rules.LoginPolicy:
    """The region's sign-in policy from settings."""
    return rules.LoginPolicy(
        max_failures_per_account=settings.login_max_failures_per_account,
        max_failures_per_source=settings.login_max_failures_per_source,
        window=dt.timedelta(minutes=settings.login_window_minutes),
        lockout=dt.timedelta(minutes=settings.login_lockout_minutes),
    )


def _failures(session: Session, since: dt.datetime, **where) -> list[dt.datetime]:
    column, value = next(iter(where.items()))
    query = sa.select(LoginAttempt.at).where(getattr(LoginAttempt, column) == value, LoginAttempt.at > since,
                                             LoginAttempt.succeeded.is_(False))
    return list(session.scalars(query))


def check_login_allowed(session: Session, username: str, source_ip: str, policy: rules.LoginPolicy,
                        now: dt.datetime | None = None) -> None:
    """TooManyAttempts when the name or the address is locked out."""
    now = now or utcnow()
    since = now - policy.lookback
    name = username[:64]
    last_success = session.scalar(sa.select(sa.func.max(LoginAttempt.at)).where(
        LoginAttempt.username == name, LoginAttempt.succeeded.is_(True), LoginAttempt.at > since))
    ends = [
        rules.locked_until(_failures(session, max(since, last_success or since), username=name), now,
                           policy.max_failures_per_account, policy.window, policy.lockout),
        rules.locked_until(_failures(session, since, source_ip=source_ip[:64]), now,
                           policy.max_failures_per_source, policy.window, policy.lockout),
    ]
    until = max((end for end in ends if end is not None), default=None)
    if until is not None:
        seconds = max(1, int((until - now).total_seconds() + 0.999))
        raise TooManyAttempts(f"too many failed sign-ins; try again in {seconds} seconds", retry_after=seconds)


def login(session: Session, username: str, password: str, source_ip: str, policy: rules.LoginPolicy) -> User:
    """authenticate, limited by policy; every attempt past the lock check is kept.

    On a wrong password the failure is flushed before Unauthenticated is raised: the caller
    must answer without rolling back, or the failure would not count.
    """
    check_login_allowed(session, username, source_ip, policy)
    now = utcnow()
    # Keep the table small: nothing older than the policy's lookback can matter.
    session.execute(sa.delete(LoginAttempt).where(LoginAttempt.at < now - 2 * policy.lookback))
    try:
        user = authenticate(session, username, password)
    except Unauthenticated:
        session.add(LoginAttempt(username=username[:64], source_ip=source_ip[:64], succeeded=False, at=now))
        session.flush()
        raise
    session.add(LoginAttempt(username=username[:64], source_ip=source_ip[:64], succeeded=True, at=now))
    session.flush()
    return user
