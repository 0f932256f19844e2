"""``daft.expressions.testing``: structural equality of two expressions."""


def expr_structurally_equal(e1, e2) -> bool:
    return repr(e1) == repr(e2) and e1.name() == e2.name()
