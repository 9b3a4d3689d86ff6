/* test_launder.c - representative cases of each laundering class (issue
 * #17), through the public API: Unicode disguises, heavy edits, splits,
 * short texts, stock phrases, and what ELAUNDER may name. The measured rates
 * are in tests/bench/bench_launder.c (make bench). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static test_home home;

static void setup(void)
{
    home_open(&home, CASESCRIBE_OPEN_NO_SYNC);
}

static void teardown(void)
{
    home_close(&home);
}

TestSuite(launder, .init = setup, .fini = teardown);

#define AI "origin=\"ai-draft\" engine=\"embedded:pocketsphinx\" model=\"en-us\""
#define DRAFT "Sam said that he had been anxious since Tuesday and that the youth club helped a lot, and Jo " \
              "explained that the housing letter had worried the whole family before the weekend visit."

static int32_t save_sections(const char *id, const char *subject, const char *sections)
{
    char subjects[128], consents[512];
    snprintf(subjects, sizeof(subjects), "<subject id=\"%s\" role=\"parent\"/>", subject);
    snprintf(consents, sizeof(consents),
             "<consent subject=\"%s\" given-by=\"self\" method=\"verbal\" capacity=\"has-capacity\" "
             "at=\"2026-01-01T10:00:00Z\" scopes=\"record-audio transcribe ai-draft\"/>",
             subject);
    form_parts p = {.id = id, .subjects = subjects, .consents = consents, .sections = sections};
    char *xml = form_make(&p);
    int32_t rc = save_as(home.ctx, xml, NULL);
    free(xml);
    return rc;
}

static int32_t save_one(const char *id, const char *attrs, const char *text)
{
    char sec[4096];
    snprintf(sec, sizeof(sec), "<section id=\"notes\" %s>%s</section>", attrs, text);
    return save_sections(id, "P-2", sec);
}

static void save_draft(void)
{
    cr_assert_eq(save_one("R-1", AI, DRAFT), CASESCRIBE_OK, "%s", casescribe_last_error());
}

Test(launder, homoglyphs_accents_and_full_width_are_caught)
{
    save_draft();
    /* Cyrillic а е о с for Latin; precomposed and combining accents; full-width. */
    const char *disguised[] = {
        "S\xd0\xb0m s\xd0\xb0id th\xd0\xb0t h\xd0\xb5 h\xd0\xb0\x64 b\xd0\xb5\xd0\xb5n \xd0\xb0nxi\xd0\xbeus sin\xd1\x81\xd0\xb5"
        " Tuesday and that the youth club helped a lot, and Jo explained that the housing letter had worried the "
        "whole family before the weekend visit.",
        "S\xc3\xa1m s\xc3\xa1id th\xc3\xa1t he ha\xcc\x81\x64 be\xcc\x81\x65n anxious since Tuesday and that the youth "
        "club helped a lot, and Jo explained that the housing letter had worried the whole family before the "
        "weekend visit.",
        "\xef\xbc\xb3\xef\xbd\x81\xef\xbd\x8d \xef\xbd\x93\xef\xbd\x81\xef\xbd\x89\xef\xbd\x84 that he had been anxious "
        "since Tuesday and that the youth club helped a lot, and Jo explained that the housing letter had worried "
        "the whole family before the weekend visit.",
    };
    for (size_t i = 0; i < sizeof(disguised) / sizeof(disguised[0]); i++) {
        char id[16];
        snprintf(id, sizeof(id), "R-%zu", 10 + i);
        cr_expect_eq(save_one(id, "origin=\"human\"", disguised[i]), CASESCRIBE_ELAUNDER, "disguise %zu: %s", i,
                     casescribe_last_error());
    }
}

Test(launder, a_heavily_edited_draft_must_be_saved_ai_reviewed)
{
    save_draft();
    /* A third of the words changed and a sentence of the worker's own. */
    const char *edited = "Sam mentioned that he had been quite anxious since Tuesday and that the youth club "
                         "supported him a lot. Jo described how the housing letter had worried the whole family "
                         "before the weekend. I will call the housing officer on Monday.";
    cr_expect_eq(save_one("R-2", "origin=\"human\"", edited), CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
    cr_expect(strstr(casescribe_last_error(), "ai-reviewed") != NULL, "%s", casescribe_last_error());
    char reviewed[1024];
    snprintf(reviewed, sizeof(reviewed),
             "origin=\"ai-reviewed\" engine=\"embedded:pocketsphinx\" model=\"en-us\" reviewed-by=\"sw-017\" "
             "reviewed-at=\"2026-11-03T09:00:00Z\" review=\"edited\"");
    cr_expect_eq(save_one("R-3", reviewed, edited), CASESCRIBE_OK, "as ai-reviewed: %s", casescribe_last_error());
}

/* A realistic 40-word draft, then the same visit edited hard: a third of
 * the words replaced and the sentences reordered (the wording and the facts
 * both kept: mh3's pairs and words), and a note of a worker's own about the
 * same kind of visit (other people, places and things: not derived). */
#define VISIT "Priya told me that the rent arrears had changed how she feels about the breakfast club. We met in " \
              "the kitchen where Priya talked about the contact plan and seemed anxious. On Thursday Priya went " \
              "to swimming lessons for the first time."

Test(launder, a_heavy_edit_with_sentences_reordered_must_be_saved_ai_reviewed)
{
    cr_assert_eq(save_one("R-1", AI, VISIT), CASESCRIBE_OK, "%s", casescribe_last_error());
    const char *edited = "On Thursday Priya finally went to swimming classes for her first time. We sat in my "
                         "kitchen and Priya spoke about her contact plan then looked anxious. Priya informed me "
                         "how the rent arrears have changed what she feels towards the breakfast club.";
    cr_expect_eq(save_one("R-2", "origin=\"human\"", edited), CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
    cr_expect(strstr(casescribe_last_error(), "review=\"edited\"") != NULL, "%s", casescribe_last_error());
    const char *reviewed = "origin=\"ai-reviewed\" engine=\"embedded:pocketsphinx\" model=\"en-us\" "
                           "reviewed-by=\"sw-017\" reviewed-at=\"2026-11-03T09:00:00Z\" review=\"edited\"";
    cr_expect_eq(save_one("R-3", reviewed, edited), CASESCRIBE_OK, "as ai-reviewed: %s", casescribe_last_error());
    const char *own = "Visited Tom at home on Monday. Tom was cheerful and keen to tell me about football practice. "
                      "We met in the garden where Tom talked about the school report and seemed calm. Next visit "
                      "booked for Friday.";
    cr_expect_eq(save_one("R-4", "origin=\"human\"", own), CASESCRIBE_OK, "%s", casescribe_last_error());
}

Test(launder, a_draft_split_into_short_human_sections_is_caught)
{
    save_draft();
    /* Seven words or fewer each: too short to fingerprint one by one. */
    const char *parts = "<section id=\"a\" origin=\"human\">Sam said that he had been anxious</section>"
                        "<section id=\"b\" origin=\"human\">since Tuesday and that the youth club</section>"
                        "<section id=\"c\" origin=\"human\">helped a lot, and Jo explained that</section>"
                        "<section id=\"d\" origin=\"human\">the housing letter had worried the whole</section>"
                        "<section id=\"e\" origin=\"human\">family before the weekend visit.</section>";
    cr_expect_eq(save_sections("R-4", "P-2", parts), CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
    cr_expect(strstr(casescribe_last_error(), "taken together") != NULL, "%s", casescribe_last_error());
}

Test(launder, a_short_ai_text_cannot_come_back_as_human_about_the_same_person)
{
    cr_assert_eq(save_one("R-1", AI, "Sam is sleeping better now."), CASESCRIBE_OK, "%s", casescribe_last_error());
    /* Another record and another section, same person: refused. */
    cr_expect_eq(save_sections("R-5", "P-2", "<section id=\"summary\" origin=\"human\">sam is SLEEPING better "
                                             "now</section>"),
                 CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
    /* Another person: the same words are that worker's own. */
    cr_expect_eq(save_sections("R-6", "P-9", "<section id=\"summary\" origin=\"human\">Sam is sleeping better "
                                             "now.</section>"),
                 CASESCRIBE_OK, "%s", casescribe_last_error());
    /* Beside it in the same form. */
    cr_expect_eq(save_sections("R-7", "P-3",
                               "<section id=\"a\" " AI ">Jo is eating well again.</section>"
                               "<section id=\"b\" origin=\"human\">Jo is eating well again.</section>"),
                 CASESCRIBE_ELAUNDER, "%s", casescribe_last_error());
}

#define STOCK "I reminded the family that they can contact the duty team at any time if they have concerns before " \
              "my next visit."

Test(launder, a_stock_sentence_saved_as_ai_blocks_no_human_note)
{
    /* Workers write the stock sentence in many notes of their own. */
    static const char *names[] = {"Ava", "Ben", "Cal", "Dee", "Eli", "Fay", "Gus", "Hal", "Ivy", "Jay"};
    static const char *topics[] = {"school", "football", "the new flat"};
    char text[1024], id[16];
    for (int i = 0; i < 30; i++) {
        snprintf(text, sizeof(text), "%s told me about %s in week %d and what comes next. " STOCK, names[i % 10],
                 topics[i / 10], i + 1);
        snprintf(id, sizeof(id), "H-%d", i);
        cr_assert_eq(save_one(id, "origin=\"human\"", text), CASESCRIBE_OK, "%d: %s", i, casescribe_last_error());
    }
    cr_assert_eq(save_one("R-1", AI, STOCK), CASESCRIBE_OK, "%s", casescribe_last_error());
    const char *own = "Mum said the new boiler works and the children sleep in their own rooms now. " STOCK;
    cr_expect_eq(save_one("R-8", "origin=\"human\"", own), CASESCRIBE_OK, "%s", casescribe_last_error());
    /* An AI draft holding the stock sentence is still caught by the rest. */
    cr_assert_eq(save_one("R-9", AI, DRAFT " " STOCK), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(save_one("R-10", "origin=\"human\"", DRAFT " " STOCK), CASESCRIBE_ELAUNDER);
}

Test(launder, elaunder_names_no_record_of_another_team)
{
    cr_assert_eq(casescribe_team_set(home.ctx, "admin", "cin-south", "ai-draft", "on"), CASESCRIBE_OK);
    char sec[1024];
    snprintf(sec, sizeof(sec), "<section id=\"notes\" %s>%s</section>", AI, DRAFT);
    form_parts p = {.id = "SECRET-77", .sections = sec};
    char *xml = form_make(&p);
    char *south = replace_once(xml, "team=\"cin-north\"", "team=\"cin-south\"");
    cr_assert_eq(save_as(home.ctx, south, NULL), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(save_one("R-11", "origin=\"human\"", DRAFT), CASESCRIBE_ELAUNDER);
    cr_expect(strstr(casescribe_last_error(), "SECRET-77") == NULL, "%s", casescribe_last_error());
    cr_expect(strstr(casescribe_last_error(), "another record") != NULL, "%s", casescribe_last_error());
    /* Within the actor's own team the record is named, as before. */
    cr_assert_eq(save_one("R-12", AI, DRAFT " Sam was calm."), CASESCRIBE_OK, "%s", casescribe_last_error());
    cr_expect_eq(save_one("R-13", "origin=\"human\"", DRAFT " Sam was calm."), CASESCRIBE_ELAUNDER);
    cr_expect(strstr(casescribe_last_error(), "R-12") != NULL, "%s", casescribe_last_error());
    free(south);
    free(xml);
}
