"""User lookups for the web app."""
import sqlite3


def setup(con):
    con.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, role TEXT)")
    con.executemany("INSERT INTO users (name, role) VALUES (?, ?)",
                    [("ada", "admin"), ("bob", "user"), ("o'brien", "user")])


def find_user(con, name):
    return con.execute("SELECT id, name, role FROM users WHERE name = '%s'" % name).fetchone()


def users_with_role(con, role):
    query = f"SELECT name FROM users WHERE role = '{role}' ORDER BY name"
    return [r[0] for r in con.execute(query)]


def rename(con, user_id, new_name):
    con.execute("UPDATE users SET name = '" + new_name + "' WHERE id = " + str(user_id))


def count_users(con):
    return con.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def open_db():
    con = sqlite3.connect(":memory:")
    setup(con)
    return con
