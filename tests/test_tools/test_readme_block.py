import pytest

from ifkd.engine.readme_block import replace_block

B, E = '<!-- x:begin -->', '<!-- x:end -->'


def test_replaces_only_the_marked_block(tmp_path):
    doc = tmp_path / 'README.md'
    doc.write_text(f'# head\n{B}\nold\n{E}\ntail {B[:4]}\n')
    replace_block(str(doc), f'{B}\nnew | table\n{E}', B, E)
    assert doc.read_text() == f'# head\n{B}\nnew | table\n{E}\ntail <!--\n'


def test_missing_marker_fails_and_leaves_the_file(tmp_path):
    doc = tmp_path / 'README.md'
    doc.write_text(f'# head\n{B}\nold\n')
    with pytest.raises(ValueError, match='has no <!-- x:begin -->'):
        replace_block(str(doc), f'{B}\nnew\n{E}', B, E)
    assert doc.read_text() == f'# head\n{B}\nold\n'
