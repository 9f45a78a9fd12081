package store

import (
	"slices"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	body := `-- a comment; with a semicolon
CREATE TABLE a (x TEXT);
INSERT INTO a VALUES ('one;two');
CREATE TRIGGER t AFTER INSERT ON a
WHEN NEW.x <> ''
BEGIN
    UPDATE a SET x = x;
    DELETE FROM a WHERE x = '';
END;
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE a SET x = x;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER u AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f();
CREATE INDEX i ON a (x)`
	got := splitStatements(body)
	want := []string{
		"CREATE TABLE a (x TEXT)",
		"INSERT INTO a VALUES ('one;two')",
		"CREATE TRIGGER t AFTER INSERT ON a\nWHEN NEW.x <> ''\nBEGIN\n    UPDATE a SET x = x;\n    DELETE FROM a WHERE x = '';\nEND",
		"CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    IF TG_OP = 'INSERT' THEN\n        UPDATE a SET x = x;\n    END IF;\n    RETURN NULL;\nEND\n$$",
		"CREATE TRIGGER u AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f()",
		"CREATE INDEX i ON a (x)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("splitStatements:\n%q\nwant\n%q", got, want)
	}
}
