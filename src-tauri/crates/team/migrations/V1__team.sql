-- Team mode, first schema. Money is NUMERIC (exact decimal USD), never float.
-- Append-only: a change is a new V<n>__*.sql file, never an edit of this one.

CREATE TABLE teams (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE members (
    id          BIGSERIAL PRIMARY KEY,
    team_id     BIGINT NOT NULL REFERENCES teams(id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    active      BOOLEAN NOT NULL DEFAULT true,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (team_id, name)
);

-- One row per team project: the budget and its running totals. Every ledger row moves
-- these totals in the same transaction, under `SELECT ... FOR UPDATE` on this row.
CREATE TABLE team_projects (
    id                  BIGSERIAL PRIMARY KEY,
    team_id             BIGINT NOT NULL REFERENCES teams(id),
    name                TEXT NOT NULL,
    client              TEXT,
    budget_usd          NUMERIC(20, 9) CHECK (budget_usd >= 0),
    period              TEXT NOT NULL DEFAULT 'total' CHECK (period IN ('total', 'monthly')),
    hard                BOOLEAN NOT NULL DEFAULT true,
    member_cap_usd      NUMERIC(20, 9) CHECK (member_cap_usd >= 0),
    spent_usd           NUMERIC(20, 9) NOT NULL DEFAULT 0,
    reserved_usd        NUMERIC(20, 9) NOT NULL DEFAULT 0,
    unconfirmed_usd     NUMERIC(20, 9) NOT NULL DEFAULT 0,
    saved_usd           NUMERIC(20, 9) NOT NULL DEFAULT 0,
    month_start         DATE NOT NULL DEFAULT date_trunc('month', now() AT TIME ZONE 'UTC')::date,
    month_spent_usd     NUMERIC(20, 9) NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (team_id, name)
);

-- Per member and project: what is held now and spent this month (the per-member cap).
CREATE TABLE member_totals (
    project_id          BIGINT NOT NULL REFERENCES team_projects(id),
    member_id           BIGINT NOT NULL REFERENCES members(id),
    reserved_usd        NUMERIC(20, 9) NOT NULL DEFAULT 0,
    spent_usd           NUMERIC(20, 9) NOT NULL DEFAULT 0,
    month_start         DATE NOT NULL,
    month_spent_usd     NUMERIC(20, 9) NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, member_id)
);

-- A generation of a team project, as the member's library knows it (its id is the
-- library's generation id). `request_hash` is the dedup key; images are listed below.
CREATE TABLE generations (
    id              TEXT PRIMARY KEY,
    project_id      BIGINT NOT NULL REFERENCES team_projects(id),
    member_id       BIGINT NOT NULL REFERENCES members(id),
    machine_id      TEXT NOT NULL,
    request_hash    TEXT,
    status          TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    reserved_usd    NUMERIC(20, 9) NOT NULL DEFAULT 0,
    charged_usd     NUMERIC(20, 9) NOT NULL DEFAULT 0,
    unconfirmed_usd NUMERIC(20, 9) NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at       TIMESTAMPTZ
);
CREATE INDEX generations_request ON generations (request_hash) WHERE request_hash IS NOT NULL;
CREATE INDEX generations_open_by_machine ON generations (machine_id) WHERE status = 'open';

CREATE TABLE generation_images (
    generation_id   TEXT NOT NULL REFERENCES generations(id),
    idx             INTEGER NOT NULL,
    sha256          TEXT NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    mime            TEXT NOT NULL,
    PRIMARY KEY (generation_id, idx)
);
CREATE INDEX generation_images_sha256 ON generation_images (sha256);

-- The team ledger: append-only, one row per money move, each saying who and where.
CREATE TABLE ledger (
    id              BIGSERIAL PRIMARY KEY,
    project_id      BIGINT NOT NULL REFERENCES team_projects(id),
    generation_id   TEXT NOT NULL REFERENCES generations(id),
    member_id       BIGINT NOT NULL REFERENCES members(id),
    machine_id      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN
                      ('reserve', 'release', 'charge', 'unconfirmed', 'confirm', 'refund', 'saving')),
    amount_usd      NUMERIC(20, 9) NOT NULL CHECK (amount_usd > 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ledger_generation ON ledger (generation_id);
CREATE INDEX ledger_project_time ON ledger (project_id, created_at);

-- Membership is CONNECT on this database (the admin grants it per designer role, see the
-- README): every member reads and writes the team tables through the app.
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO PUBLIC;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO PUBLIC;
