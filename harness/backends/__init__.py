"""Stack backends: how the serving stack under test is started, reached, broken and torn down."""
