"""Data access for the shop backend (sqlite3)."""
import sqlite3

SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, country TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL, created TEXT);
"""


def connect(path=":memory:"):
    con = sqlite3.connect(path)
    con.executescript(SCHEMA)
    return con


def customers_by_email_domain(con, domain):
    return con.execute("SELECT * FROM customers WHERE email LIKE ?", ("%@" + domain,)).fetchall()


def order_totals(con):
    """Total spent per customer."""
    out = {}
    for (cid,) in con.execute("SELECT id FROM customers").fetchall():
        row = con.execute("SELECT SUM(total) FROM orders WHERE customer_id = ?", (cid,)).fetchone()
        out[cid] = row[0] or 0
    return out


def recent_orders(con, since):
    return con.execute("SELECT * FROM orders WHERE date(created) >= date(?) ORDER BY created DESC",
                       (since,)).fetchall()


def countries(con):
    return [r[0] for r in con.execute("SELECT DISTINCT country FROM customers ORDER BY country")]
