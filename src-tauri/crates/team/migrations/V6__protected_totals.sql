-- Server-protected running totals (issue 18): a project's spent / reserved /
-- unconfirmed / saved / month totals, the members' totals, the generations' money and
-- the ledger rows are moved only by the ledger's own functions below (SECURITY
-- DEFINER, owned by the schema's owner), never by a member's hand-written SQL. A member
-- keeps what the app needs: reading everything, creating generations, closing and
-- publishing them, and (admins, checked by V4's triggers) budgets and thresholds.

REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ledger, member_totals FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON team_projects FROM PUBLIC;
GRANT UPDATE (name, client, budget_usd, period, hard, member_cap_usd, approval_threshold_usd)
    ON team_projects TO PUBLIC;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON generations FROM PUBLIC;
GRANT INSERT (id, project_id, member_id, machine_id, request_hash, status, closed_at,
              reused_from)
    ON generations TO PUBLIC;
GRANT UPDATE (request_hash, status, closed_at, meta, published_at) ON generations TO PUBLIC;
REVOKE DELETE, TRUNCATE ON generation_images, approvals, teams, members FROM PUBLIC;

-- The caller (the login role, not this function's owner) is an active member of the
-- project's team, or a superuser.
CREATE FUNCTION proofsheet_member_of(project BIGINT) RETURNS BOOLEAN
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
    SELECT EXISTS (SELECT 1 FROM members m JOIN team_projects p ON p.team_id = m.team_id
                   WHERE p.id = project AND m.name = session_user::text AND m.active)
        OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND rolsuper)
$$;

-- Rolls a project's month over (its month total starts at 0 in a new UTC month).
CREATE FUNCTION proofsheet_roll_month(project BIGINT) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    IF NOT proofsheet_member_of(project) THEN
        RAISE EXCEPTION 'not a member of this project''s team'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE team_projects SET
        month_spent_usd = CASE WHEN month_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date
                               THEN month_spent_usd ELSE 0 END,
        month_start = date_trunc('month', now() AT TIME ZONE 'UTC')::date
    WHERE id = project;
END $$;

-- One ledger row and the running totals it moves (the project's, the member's and the
-- generation's), as the local ledger does. The caller holds the project's row lock.
CREATE FUNCTION proofsheet_book(project BIGINT, generation TEXT, member BIGINT,
                                machine TEXT, kind TEXT, amount NUMERIC)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    d_spent NUMERIC := 0; d_reserved NUMERIC := 0; d_saved NUMERIC := 0; d_unconf NUMERIC := 0;
    month DATE := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
BEGIN
    IF NOT proofsheet_member_of(project) THEN
        RAISE EXCEPTION 'not a member of this project''s team'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF amount IS NULL OR amount <= 0 THEN
        RETURN;
    END IF;
    CASE kind
        WHEN 'reserve' THEN d_reserved := amount;
        WHEN 'release' THEN d_reserved := -amount;
        WHEN 'charge' THEN d_spent := amount; d_reserved := -amount;
        WHEN 'saving' THEN d_saved := amount;
        WHEN 'unconfirmed' THEN d_spent := amount; d_reserved := -amount; d_unconf := amount;
        WHEN 'confirm' THEN d_unconf := -amount;
        WHEN 'refund' THEN d_spent := -amount; d_unconf := -amount;
        ELSE RAISE EXCEPTION 'unknown ledger kind %', kind USING ERRCODE = 'check_violation';
    END CASE;
    INSERT INTO ledger(project_id, generation_id, member_id, machine_id, kind, amount_usd)
    VALUES (project, generation, member, machine, kind, amount);
    UPDATE team_projects SET spent_usd = spent_usd + d_spent,
           reserved_usd = reserved_usd + d_reserved, saved_usd = saved_usd + d_saved,
           unconfirmed_usd = unconfirmed_usd + d_unconf,
           month_spent_usd = month_spent_usd + d_spent
    WHERE id = project;
    INSERT INTO member_totals(project_id, member_id, reserved_usd, spent_usd, month_start,
                              month_spent_usd)
    VALUES (project, member, d_reserved, d_spent, month, d_spent)
    ON CONFLICT (project_id, member_id) DO UPDATE SET
      reserved_usd = member_totals.reserved_usd + excluded.reserved_usd,
      spent_usd = member_totals.spent_usd + excluded.spent_usd,
      month_spent_usd = CASE WHEN member_totals.month_start = excluded.month_start
                             THEN member_totals.month_spent_usd + excluded.month_spent_usd
                             ELSE excluded.month_spent_usd END,
      month_start = excluded.month_start;
    UPDATE generations SET reserved_usd = reserved_usd + d_reserved,
           charged_usd = charged_usd + d_spent, unconfirmed_usd = unconfirmed_usd + d_unconf
    WHERE id = generation;
END $$;

REVOKE ALL ON FUNCTION proofsheet_roll_month(BIGINT), proofsheet_book(BIGINT, TEXT, BIGINT, TEXT, TEXT, NUMERIC) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION proofsheet_roll_month(BIGINT), proofsheet_book(BIGINT, TEXT, BIGINT, TEXT, TEXT, NUMERIC), proofsheet_member_of(BIGINT) TO PUBLIC;
