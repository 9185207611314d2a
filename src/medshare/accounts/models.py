"""Tables of accounts and their credentials."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from medshare.db import Base, Timestamped, string_enum


class Role(enum.StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    REGULATOR = "regulator"
    INSTITUTION_ADMIN = "institution_admin"
    PRACTITIONER = "practitioner"
    SUPPLIER = "supplier"
    INSURER = "insurer"
    PATIENT = "patient"


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[Role] = mapped_column(string_enum(Role))
    institution_id: Mapped[int | None] = mapped_column(sa.ForeignKey("institutions.id"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practitioners.id"))
    patient_record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("patient_records.id"))
    locale: Mapped[str] = mapped_column(sa.String(10), default="en")
    active: Mapped[bool] = mapped_column(default=True)

    tokens: Mapped[list[AuthToken]] = relationship(back_populates="user", cascade="all, delete-orphan")


class TokenKind(enum.StrEnum):
    API = "api"
    SESSION = "session"


class AuthToken(Base):
    """A bearer token or web session; only its SHA-256 digest is stored."""

    __tablename__ = "auth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")


class LoginAttempt(Base):
    """One sign-in attempt, kept so lockouts survive restarts and are shared by every worker.

    Holds the name as typed (unknown names are limited too) and never the password.
    """

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_username_at", "username", "at"),
        sa.Index("ix_login_attempts_source_ip_at", "source_ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    source_ip: Mapped[str] = mapped_column(sa.String(64))
    succeeded: Mapped[bool]
    at: Mapped[dt.datetime] = mapped_column(index=True)
