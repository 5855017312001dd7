-- Timed questions served one at a time, streaks, answer time for tie-breaks, and the
-- lifecycle marks that make starting and finishing a quiz happen once.

ALTER TABLE participants
    ADD COLUMN streak INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN answer_time_ms BIGINT NOT NULL DEFAULT 0;

DROP INDEX participants_leaderboard;
CREATE INDEX participants_leaderboard
    ON participants (quiz_id, score DESC, answer_time_ms, user_id);

-- When each question was put in front of each player. Times are API Gateway's request
-- times in epoch milliseconds, the clock every answer is measured against.
CREATE TABLE servings (
    quiz_id VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL,
    question_id VARCHAR NOT NULL REFERENCES questions (question_id),
    question_index SMALLINT NOT NULL,
    served_at_ms BIGINT NOT NULL,
    closes_at_ms BIGINT NOT NULL,
    PRIMARY KEY (quiz_id, user_id, question_id),
    UNIQUE (quiz_id, user_id, question_index),
    FOREIGN KEY (quiz_id, user_id) REFERENCES participants (quiz_id, user_id) ON DELETE CASCADE,
    CONSTRAINT servings_window_is_positive CHECK (closes_at_ms > served_at_ms)
);

-- Answers stored before questions were served get a serving at their own answer time, so
-- that the rule "every answer was served" holds for old data too.
INSERT INTO servings (quiz_id, user_id, question_id, question_index, served_at_ms, closes_at_ms)
SELECT a.quiz_id, a.user_id, a.question_id,
       COALESCE(
           position.ordinal - 1,
           1000 + row_number() OVER (PARTITION BY a.quiz_id, a.user_id ORDER BY a.answered_at)
       ),
       floor(extract(epoch FROM a.answered_at) * 1000)::bigint,
       floor(extract(epoch FROM a.answered_at) * 1000)::bigint + 1
FROM answers a
JOIN quizzes q USING (quiz_id)
LEFT JOIN LATERAL (
    SELECT e.ordinal FROM jsonb_array_elements_text(q.questions) WITH ORDINALITY AS e(qid, ordinal)
    WHERE e.qid = a.question_id LIMIT 1
) position ON true;

-- An answer row is the final result of a served question: answered in time (correct or
-- not), answered too late, or skipped with `next` after its time ran out.
ALTER TABLE answers
    ALTER COLUMN choice DROP NOT NULL,
    ADD COLUMN status VARCHAR(10) NOT NULL DEFAULT 'answered',
    ADD COLUMN elapsed_ms INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN base_points INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN streak_bonus INTEGER NOT NULL DEFAULT 0,
    ADD CONSTRAINT answers_status_known CHECK (status IN ('answered', 'too_late', 'skipped')),
    ADD CONSTRAINT answers_are_served FOREIGN KEY (quiz_id, user_id, question_id)
        REFERENCES servings (quiz_id, user_id, question_id) ON DELETE CASCADE;

UPDATE answers SET base_points = points_awarded;

ALTER TABLE answers
    ADD CONSTRAINT answers_points_add_up CHECK (points_awarded = base_points + streak_bonus);

-- One row per quiz once its start or end has been handled.
CREATE TABLE quiz_runs (
    quiz_id VARCHAR PRIMARY KEY REFERENCES quizzes (quiz_id) ON DELETE CASCADE,
    started_at TIMESTAMPTZ,
    finalized_at TIMESTAMPTZ
);
