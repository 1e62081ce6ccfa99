import json

import pytest

from promptlab.cli import main
from promptlab.params import GenerationParams
from promptlab.wildcards import expand_params, list_wildcard_files, read_wildcard_file, write_wildcard_file
from promptlab.errors import InvalidInputError


def test_batch_walks_through_variants_and_records_template():
    params = GenerationParams(prompt="a {cat|dog|fox}", negative_prompt="{lowres|blurry}", seed=40,
                              batch_count=2, batch_size=2)
    jobs = expand_params(params)
    assert [j.seed for j in jobs] == [40, 41, 42, 43]
    assert all(j.batch_count == 1 and j.batch_size == 1 for j in jobs)
    assert all(j.prompt in ("a cat", "a dog", "a fox") for j in jobs)
    assert all(("Template", "a {cat|dog|fox}") in j.extra for j in jobs)
    assert all(("Negative Template", "{lowres|blurry}") in j.extra for j in jobs)
    assert expand_params(params) == jobs  # reproducible


def test_plain_prompt_is_left_alone():
    params = GenerationParams(prompt="a cat, (sky:1.2), [a:b:0.5], [x|y]", batch_count=3)
    assert expand_params(params) == [params]


def test_nai_prompt_is_left_alone():
    params = GenerationParams(prompt="{{masterpiece}}, 1girl", batch_count=2)
    assert expand_params(params) == [params]


def test_wildcard_file_editing_stays_inside_folder(wildcard_dir):
    names = [f.name for f in list_wildcard_files(wildcard_dir)]
    assert "people/hair" in names and "color" in names
    write_wildcard_file(wildcard_dir, "new/mood.txt", "happy\nsad\n")
    assert read_wildcard_file(wildcard_dir, "new/mood.txt") == "happy\nsad\n"
    for bad in ("../escape.txt", "/etc/passwd.txt", "color.exe"):
        with pytest.raises(InvalidInputError):
            write_wildcard_file(wildcard_dir, bad, "x")


def test_cli_expand_json_random(capsys):
    assert main(["expand", "a {cat|dog}", "-n", "3", "--seed", "10", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seed"] for r in rows] == [10, 11, 12]
    assert all(set(r) == {"prompt", "seed"} for r in rows)


def test_cli_expand_all_with_negative_and_wildcards(capsys, wildcard_dir):
    assert main(["expand", "__color__ hair", "--all", "--negative", "{lowres|jpeg}", "--wildcards",
                 str(wildcard_dir), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 6 and all(set(r) == {"prompt", "negative_prompt"} for r in rows)


def test_cli_expand_matrix_and_errors(capsys):
    assert main(["expand", "a|b|c", "--matrix"]) == 0
    assert capsys.readouterr().out.splitlines() == ["a", "a, b", "a, c", "a, b, c"]
    assert main(["expand", "{{x}}, {a|b}"]) == 1
    assert "choose a mode" in capsys.readouterr().err
    assert main(["expand", " ".join(["{0|1|2|3|4|5|6|7|8|9}"] * 9), "--all"]) == 1
    assert "combinations" in capsys.readouterr().err


def test_cli_prompts_file(tmp_path, capsys):
    path = tmp_path / "prompts.txt"
    path.write_text("a cat\n--prompt dog --steps 9\n--nope 1\n", encoding="utf-8")
    assert main(["expand", str(path), "--file", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [j["prompt"] for j in out["jobs"]] == ["a cat", "dog"]
    assert out["jobs"][1]["steps"] == 9
    assert out["errors"][0]["line"] == 3
