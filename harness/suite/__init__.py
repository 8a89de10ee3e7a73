"""`chaosdrill suite`: several drills one after another, one stack each, with one JUnit file and index."""
