"""Read the cells of an XLSX file as Excel would show them: value, type and number format.

No reader library is installed (fastexcel and openpyxl are not dependencies), and a test of what a
person sees in Excel needs the number formats, which readers into data frames drop anyway: the
workbook is a zip of XML (ECMA-376 Part 1, §18.3 worksheets, §18.8 styles), read here directly.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
#: Built-in number formats (ECMA-376 Part 1 §18.8.30) that xlsxwriter uses for the common codes.
BUILTIN_FORMATS = {0: "General", 1: "0", 2: "0.00", 14: "m/d/yyyy", 22: "m/d/yyyy h:mm"}


@dataclass(frozen=True)
class Cell:
    value: str | float | None
    kind: str  # "number" or "text"
    number_format: str


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[list[Cell | None]]

    @property
    def header(self) -> list[str]:
        return [cell.value if cell is not None else "" for cell in self.rows[0]]

    def column(self, header: str) -> list[Cell | None]:
        index = self.header.index(header)
        return [row[index] if index < len(row) else None for row in self.rows[1:]]


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group(0)
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def read_first_sheet(content: bytes) -> Sheet:
    """The first worksheet of the workbook ``content``."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        name = workbook.find("m:sheets/m:sheet", NS).get("name")
        strings = []
        if "xl/sharedStrings.xml" in book.namelist():
            for item in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("m:si", NS):
                strings.append("".join(text.text or "" for text in item.iter(f"{{{NS['m']}}}t")))
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))
        custom = {
            int(f.get("numFmtId")): f.get("formatCode") for f in styles.findall("m:numFmts/m:numFmt", NS)
        }
        formats = [int(xf.get("numFmtId", "0")) for xf in styles.findall("m:cellXfs/m:xf", NS)]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows: list[list[Cell | None]] = []
    for row in sheet.findall("m:sheetData/m:row", NS):
        cells: list[Cell | None] = []
        for cell in row.findall("m:c", NS):
            index = _column_index(cell.get("r"))
            cells.extend([None] * (index - len(cells)))
            format_id = formats[int(cell.get("s", "0"))]
            number_format = custom.get(format_id, BUILTIN_FORMATS.get(format_id, str(format_id)))
            value = cell.find("m:v", NS)
            if cell.get("t") == "s":
                cells.append(Cell(strings[int(value.text)], "text", number_format))
            elif cell.get("t") in ("str", "inlineStr"):
                cells.append(Cell(value.text if value is not None else "", "text", number_format))
            elif value is None:
                cells.append(None)
            else:
                cells.append(Cell(float(value.text), "number", number_format))
        rows.append(cells)
    return Sheet(name, rows)
