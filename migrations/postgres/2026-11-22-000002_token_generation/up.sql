-- Access tokens carry the generation of their user's sessions; a password reset, a role change or
-- "sign out everywhere" moves the generation on, and every token signed before is refused at once.
ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
