"""The region's default item catalogue: published provincial windows where known, documented defaults elsewhere.

Windows from published lists (e.g. Zhejiang's 2022 mutual-recognition items and windows):
electrolytes (K, Na, Cl, Ca) 7 days; glucose, lipids, total protein, bilirubin 30 days;
HbA1c 60 days. Region defaults (documented here, editable through the API): blood count
7 days (changes fast), liver and renal function 30 days; imaging has no national window, so
CT and MRI 30 days, chest radiograph 30 days, ultrasound 14 days. Fees are typical public
prices in fen. Lab items use LOINC; imaging uses the platform's local exam code system.
"""

from __future__ import annotations

from dataclasses import dataclass

from medshare.recognition.models import ItemCategory, ResultKind

LOINC = "http://loinc.org"
LOCAL_EXAM = "https://medshare.example/fhir/CodeSystem/exam"
PUBLISHED = "published provincial list (Zhejiang 2022)"
REGION = "region default (documented, editable)"


@dataclass(frozen=True)
class DefaultItem:
    code: str
    name: str
    name_zh: str
    category: ItemCategory
    kind: ResultKind
    validity_days: int
    fee_fen: int
    basis: str
    also: tuple[str, ...] = ()  # other result codes that satisfy the item

    @property
    def system(self) -> str:
        return LOINC if self.category is ItemCategory.LAB else LOCAL_EXAM


L, E = ItemCategory.LAB, ItemCategory.EXAM
OBS, R = ResultKind.OBSERVATION, ResultKind.REPORT
DEFAULT_ITEMS: tuple[DefaultItem, ...] = (
    DefaultItem("2823-3", "Potassium", "钾", L, OBS, 7, 500, PUBLISHED, ("6298-4",)),
    DefaultItem("2951-2", "Sodium", "钠", L, OBS, 7, 500, PUBLISHED, ("2947-0",)),
    DefaultItem("2075-0", "Chloride", "氯", L, OBS, 7, 500, PUBLISHED, ("2069-3",)),
    DefaultItem("17861-6", "Calcium", "钙", L, OBS, 7, 500, PUBLISHED, ("2000-8",)),
    DefaultItem("2345-7", "Glucose", "葡萄糖", L, OBS, 30, 500, PUBLISHED, ("1558-6", "2339-0")),
    DefaultItem("2093-3", "Total cholesterol", "总胆固醇", L, OBS, 30, 800, PUBLISHED),
    DefaultItem("2571-8", "Triglycerides", "甘油三酯", L, OBS, 30, 800, PUBLISHED),
    DefaultItem("2085-9", "HDL cholesterol", "高密度脂蛋白胆固醇", L, OBS, 30, 1000, PUBLISHED),
    DefaultItem("2089-1", "LDL cholesterol", "低密度脂蛋白胆固醇", L, OBS, 30, 1000, PUBLISHED, ("18262-6", "13457-7")),
    DefaultItem("2885-2", "Total protein", "总蛋白", L, OBS, 30, 500, PUBLISHED),
    DefaultItem("1975-2", "Total bilirubin", "总胆红素", L, OBS, 30, 500, PUBLISHED),
    DefaultItem("4548-4", "Haemoglobin A1c", "糖化血红蛋白", L, OBS, 60, 6000, PUBLISHED, ("17856-6",)),
    DefaultItem("58410-2", "Complete blood count", "血常规", L, R, 7, 2000, REGION, ("57021-8",)),
    DefaultItem("24325-3", "Liver function panel", "肝功能", L, R, 30, 6000, REGION),
    DefaultItem("24362-6", "Renal function panel", "肾功能", L, R, 30, 4000, REGION),
    DefaultItem("CT-CHEST-PLAIN", "CT chest plain", "胸部CT平扫", E, R, 30, 20000, REGION),
    DefaultItem("CT-HEAD-PLAIN", "CT head plain", "头颅CT平扫", E, R, 30, 18000, REGION),
    DefaultItem("MR-HEAD-PLAIN", "MRI head plain", "头颅MRI平扫", E, R, 30, 45000, REGION),
    DefaultItem("DR-CHEST-PA", "Chest radiograph (PA)", "胸部正位片", E, R, 30, 7000, REGION),
    DefaultItem("US-ABDOMEN", "Abdominal ultrasound", "腹部超声", E, R, 14, 12000, REGION),
)
