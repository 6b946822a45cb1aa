-- Approval of spend (issue 18 item 5). A team project may set a threshold: a request
-- whose worst case exceeds it waits for an admin before anything is reserved or sent.

ALTER TABLE team_projects
    ADD COLUMN approval_threshold_usd NUMERIC(20, 9) CHECK (approval_threshold_usd >= 0);

CREATE TABLE approvals (
    id              BIGSERIAL PRIMARY KEY,
    project_id      BIGINT NOT NULL REFERENCES team_projects(id),
    member_id       BIGINT NOT NULL REFERENCES members(id),
    machine_id      TEXT NOT NULL,
    prompt_summary  TEXT NOT NULL,
    offer_id        TEXT NOT NULL,
    estimate_usd    NUMERIC(20, 9) NOT NULL CHECK (estimate_usd >= 0),
    -- pending → approved → claimed (the requester runs it, once); pending → refused,
    -- cancelled (by the requester) or expired (read as expired once past expires_at).
    state           TEXT NOT NULL DEFAULT 'pending'
                      CHECK (state IN ('pending', 'approved', 'refused', 'cancelled', 'claimed')),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at      TIMESTAMPTZ NOT NULL DEFAULT now() + interval '3 days',
    decided_by      BIGINT REFERENCES members(id),
    decided_at      TIMESTAMPTZ,
    reason          TEXT,
    claimed_at      TIMESTAMPTZ
);
CREATE INDEX approvals_pending ON approvals (project_id) WHERE state = 'pending';

-- Roles enforced by the database too, not only by the app: the login role must be an
-- active admin of the team (or a superuser, for the studio's own maintenance).
CREATE FUNCTION proofsheet_is_admin(team BIGINT) RETURNS BOOLEAN
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM members
                   WHERE team_id = team AND name = current_user::text
                     AND role = 'admin' AND active)
        OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper)
$$;

-- Budgets, caps, clients and thresholds: admins only (the ledger's running totals are
-- written by every member and are not checked here).
CREATE FUNCTION proofsheet_project_admin_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.budget_usd IS DISTINCT FROM OLD.budget_usd
       OR NEW.member_cap_usd IS DISTINCT FROM OLD.member_cap_usd
       OR NEW.period IS DISTINCT FROM OLD.period OR NEW.hard IS DISTINCT FROM OLD.hard
       OR NEW.client IS DISTINCT FROM OLD.client
       OR NEW.approval_threshold_usd IS DISTINCT FROM OLD.approval_threshold_usd THEN
        IF NOT proofsheet_is_admin(NEW.team_id) THEN
            RAISE EXCEPTION 'only a team admin can set a team project''s budget, caps or threshold'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER team_projects_admin_only BEFORE INSERT OR UPDATE ON team_projects
    FOR EACH ROW EXECUTE FUNCTION proofsheet_project_admin_only();

-- Roles: only an admin changes one; the first member of a team (its creator) is admin.
CREATE FUNCTION proofsheet_member_admin_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'UPDATE' AND NEW.role IS DISTINCT FROM OLD.role)
       OR (TG_OP = 'INSERT' AND NEW.role = 'admin'
           AND EXISTS (SELECT 1 FROM members WHERE team_id = NEW.team_id)) THEN
        IF NOT proofsheet_is_admin(NEW.team_id) THEN
            RAISE EXCEPTION 'only a team admin can change a member''s role'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER members_admin_only BEFORE INSERT OR UPDATE ON members
    FOR EACH ROW EXECUTE FUNCTION proofsheet_member_admin_only();

-- A decision (approve / refuse) is an admin's, and names that admin.
CREATE FUNCTION proofsheet_approval_decision() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    team BIGINT;
BEGIN
    IF NEW.state IN ('approved', 'refused') AND NEW.state IS DISTINCT FROM OLD.state THEN
        SELECT team_id INTO team FROM team_projects WHERE id = NEW.project_id;
        IF NOT proofsheet_is_admin(team) THEN
            RAISE EXCEPTION 'only a team admin can approve or refuse a request'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.state <> 'pending' THEN
            RAISE EXCEPTION 'approval % is % already', OLD.id, OLD.state
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER approvals_decision BEFORE UPDATE ON approvals
    FOR EACH ROW EXECUTE FUNCTION proofsheet_approval_decision();

GRANT SELECT, INSERT, UPDATE ON approvals TO PUBLIC;
GRANT USAGE, SELECT ON SEQUENCE approvals_id_seq TO PUBLIC;
