"""Values the store tests write: a few hours of two Beijing stations, chosen to catch conversions."""

# Beijing times across a Beijing midnight (= 16:00 UTC) and a UTC midnight (= 08:00 Beijing);
# values that a decimal round trip would change; invalid values with their reasons.
SAMPLE_ROWS = [
    ("1003A", "2016-01-01 00:00", "PM2.5", 1 / 3, None),
    ("1003A", "2016-01-01 00:00", "CO", 0.1 + 0.2, None),
    ("1003A", "2016-01-01 07:00", "PM2.5", 12345.678, None),
    ("1003A", "2016-01-01 08:00", "PM2.5", 1e-9, None),
    ("1003A", "2016-01-01 23:00", "SO2", 0.0, None),
    ("1003A", "2016-01-02 00:00", "NO2", None, "non-numeric value 'abc'"),
    ("1004A", "2015-12-31 23:00", "O3", 99.0, None),
    (
        "1004A",
        "2016-01-01 12:00",
        "PM10",
        None,
        "above the plausible maximum 12000 (instrument or transmission fault)",
    ),
    ("1004A", "2016-01-31 23:00", "PM10", 150.5, None),
    ("1004A", "2016-02-01 00:00", "PM10", 151.5, None),
]
