from incident_cli.render.column_names import COLUMN_KEYS, DEFAULT
from incident_cli.render.columns import COLUMNS


def test_the_light_names_are_the_columns_the_table_draws():
    assert COLUMN_KEYS == tuple(COLUMNS) and set(DEFAULT) <= set(COLUMN_KEYS)
