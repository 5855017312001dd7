-- Quizzes keep the original demo's columns, so its INSERT statements load unchanged.
-- Times are stored as UTC without a zone, as the demo wrote them.
CREATE TABLE quizzes (
    quiz_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    start_time TIMESTAMP NOT NULL,
    end_time TIMESTAMP NOT NULL,
    questions JSONB NOT NULL, -- array of question ids, in the order they are asked
    CONSTRAINT quizzes_window_is_positive CHECK (end_time > start_time),
    CONSTRAINT quizzes_questions_is_array CHECK (jsonb_typeof(questions) = 'array')
);

CREATE TABLE users (
    id VARCHAR PRIMARY KEY,
    username VARCHAR(100) UNIQUE NOT NULL,
    password_hash TEXT NOT NULL -- scrypt, see quiz_core.security.passwords
);

CREATE TABLE questions (
    question_id VARCHAR PRIMARY KEY,
    category VARCHAR(20) NOT NULL,
    prompt TEXT NOT NULL,
    choices JSONB NOT NULL, -- array of 2 to 6 strings
    correct_choice SMALLINT NOT NULL, -- zero-based index into choices
    time_limit_ms INTEGER NOT NULL DEFAULT 20000,
    points INTEGER NOT NULL DEFAULT 1000,
    CONSTRAINT questions_choices_count CHECK (
        jsonb_typeof(choices) = 'array' AND jsonb_array_length(choices) BETWEEN 2 AND 6
    ),
    CONSTRAINT questions_correct_choice_in_range CHECK (
        correct_choice >= 0 AND correct_choice < jsonb_array_length(choices)
    ),
    CONSTRAINT questions_time_limit_positive CHECK (time_limit_ms > 0),
    CONSTRAINT questions_points_not_negative CHECK (points >= 0)
);

CREATE TABLE participants (
    quiz_id VARCHAR NOT NULL REFERENCES quizzes (quiz_id) ON DELETE CASCADE,
    user_id VARCHAR NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    score INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (quiz_id, user_id)
);

-- The primary key is what makes an answer count once, whatever the client retries.
CREATE TABLE answers (
    quiz_id VARCHAR NOT NULL,
    user_id VARCHAR NOT NULL,
    question_id VARCHAR NOT NULL REFERENCES questions (question_id),
    choice SMALLINT NOT NULL,
    is_correct BOOLEAN NOT NULL,
    points_awarded INTEGER NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (quiz_id, user_id, question_id),
    FOREIGN KEY (quiz_id, user_id) REFERENCES participants (quiz_id, user_id) ON DELETE CASCADE
);

CREATE INDEX participants_leaderboard ON participants (quiz_id, score DESC, user_id);
