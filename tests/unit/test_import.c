/* SPDX-License-Identifier: Apache-2.0 */
/* test_import.c - transcripts other programs made (WebVTT from Teams and
 * Zoom, SRT from Otter, plain text with [hh:mm:ss] lines) read by
 * casescribe_transcript_open into the same model, marked imported; hostile
 * input refused; and the worker's observation tags put in a transcript at
 * their time. The exports in tests/data/transcripts are shaped like the
 * real ones; the people in them are made up. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transcribe/transcript.h"

static char *slurp(const char *name, size_t *len)
{
    char path[1024];
    const char *src = getenv("top_srcdir") != NULL ? getenv("top_srcdir") : ".";
    snprintf(path, sizeof(path), "%s/tests/data/transcripts/%s", src, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "no fixture %s", path);
    char *buf = calloc(1, 1 << 16);
    cr_assert_not_null(buf);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static casescribe_transcript *open_fixture(const char *name)
{
    size_t len = 0;
    char *bytes = slurp(name, &len);
    casescribe_transcript *t = NULL;
    int32_t rc = casescribe_transcript_open(&t, (const uint8_t *)bytes, len);
    cr_assert_eq(rc, CASESCRIBE_OK, "%s: %s", name, casescribe_last_error());
    free(bytes);
    return t;
}

static int32_t open_text(casescribe_transcript **t, const char *text)
{
    *t = NULL;
    return casescribe_transcript_open(t, (const uint8_t *)text, strlen(text));
}

/* No word of an imported transcript is unsure or has a confidence. */
static void assert_no_confidence(const casescribe_transcript *t)
{
    for (uint32_t s = 0; s < casescribe_transcript_segment_count(t); s++)
        for (uint32_t w = 0; w < casescribe_transcript_word_count(t, s); w++) {
            cr_assert_eq(casescribe_transcript_word_confidence(t, s, w), -1);
            cr_assert_eq(casescribe_transcript_word_unsure(t, s, w), 0);
        }
}

Test(import, a_teams_webvtt_export_with_voice_tags)
{
    casescribe_transcript *t = open_fixture("teams.vtt");
    cr_assert_eq(casescribe_transcript_segment_count(t), 5);
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 0),
                     "Priya Shah: Hi Kerry, thanks for letting me in. Is it still okay to do the visit now?");
    cr_assert_eq(casescribe_transcript_segment_start_ms(t, 0), 3120);
    cr_assert_eq(casescribe_transcript_segment_end_ms(t, 0), 6480);
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 3),
                     "Kerry Thompson: She's upstairs. The council sent the beds on Tuesday & she loves them.");
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 4),
                     "Kerry Thompson: Money's still tight though. The housing officer agreed a payment plan of "
                     "twenty pounds a week.");
    cr_assert_eq(t->segments[1].speaker_words, 2);
    cr_assert_str_eq(casescribe_transcript_engine(t), "imported:webvtt");
    assert_no_confidence(t);
    casescribe_transcript_free(t);
}

Test(import, a_zoom_webvtt_export_with_names_in_the_text)
{
    casescribe_transcript *t = open_fixture("zoom.vtt");
    cr_assert_eq(casescribe_transcript_segment_count(t), 5, "the NOTE block carries no words");
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 3),
                     "Harold Pike: No, I don't want one of them. My daughter rings every evening.");
    cr_assert_eq(t->segments[3].speaker_words, 2);
    cr_assert_eq(casescribe_transcript_segment_start_ms(t, 4), 20100);
    assert_no_confidence(t);
    casescribe_transcript_free(t);
}

Test(import, an_otter_srt_export)
{
    casescribe_transcript *t = open_fixture("otter.srt");
    cr_assert_eq(casescribe_transcript_segment_count(t), 4);
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 1),
                     "Amira Begum: I look after my mum most days, I do her tablets before school and after.");
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 2),
                     "Speaker 1: And how are you finding school at the moment?");
    cr_assert_eq(casescribe_transcript_segment_start_ms(t, 3), 15700);
    cr_assert_eq(casescribe_transcript_segment_end_ms(t, 3), 20950);
    cr_assert_str_eq(casescribe_transcript_engine(t), "imported:srt");
    assert_no_confidence(t);
    casescribe_transcript_free(t);
}

Test(import, a_plain_text_transcript_with_stamped_lines)
{
    casescribe_transcript *t = open_fixture("notes.txt");
    cr_assert_eq(casescribe_transcript_segment_count(t), 5);
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 2),
                     "Nan: Come in love, sit yourself down. I've got the paperwork from the school here if you want "
                     "to look at it.");
    cr_assert_eq(casescribe_transcript_segment_start_ms(t, 2), 9000);
    cr_assert_eq(casescribe_transcript_segment_end_ms(t, 2), 74000, "a line lasts until the next one starts");
    cr_assert_str_eq(casescribe_transcript_engine(t), "imported:text");
    assert_no_confidence(t);
    casescribe_transcript_free(t);
}

Test(import, an_imported_transcript_says_so_and_round_trips_as_xml)
{
    casescribe_transcript *t = open_fixture("teams.vtt");
    char *text = NULL, *xml = NULL;
    cr_assert_eq(casescribe_transcript_render(&text, t, CASESCRIBE_TRANSCRIPT_TEXT), CASESCRIBE_OK);
    cr_assert_not_null(strstr(text, "Imported transcript: made by another program (a WebVTT caption file"));
    cr_assert_null(strstr(text, "?]"), "nothing is marked unsure");
    cr_assert_eq(casescribe_transcript_render(&xml, t, CASESCRIBE_TRANSCRIPT_XML), CASESCRIBE_OK);
    cr_assert_not_null(strstr(xml, "made-by=\"imported\""));
    cr_assert_not_null(strstr(xml, "speaker=\"Kerry Thompson\""));
    cr_assert_null(strstr(xml, "unsure="));
    casescribe_transcript *back = NULL;
    cr_assert_eq(casescribe_transcript_open(&back, (const uint8_t *)xml, strlen(xml)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_eq(casescribe_transcript_segment_count(back), 5);
    cr_assert_str_eq(casescribe_transcript_segment_text(back, 4), casescribe_transcript_segment_text(t, 4));
    cr_assert_eq(back->segments[4].speaker_words, 2);
    cr_assert_eq(back->made_by, CS_BY_IMPORTED);
    assert_no_confidence(back);
    casescribe_free(text);
    casescribe_free(xml);
    casescribe_transcript_free(back);
    casescribe_transcript_free(t);
}

Test(import, a_speaker_that_is_not_the_segments_first_words_is_refused)
{
    casescribe_transcript *t = open_fixture("zoom.vtt");
    char *xml = NULL;
    cr_assert_eq(casescribe_transcript_render(&xml, t, CASESCRIBE_TRANSCRIPT_XML), CASESCRIBE_OK);
    char *p = strstr(xml, "speaker=\"Harold Pike\"");
    cr_assert_not_null(p);
    memcpy(p, "speaker=\"Harold Pyke\"", strlen("speaker=\"Harold Pyke\""));
    casescribe_transcript *back = NULL;
    cr_assert_eq(casescribe_transcript_open(&back, (const uint8_t *)xml, strlen(xml)), CASESCRIBE_ESCHEMA);
    casescribe_free(xml);
    casescribe_transcript_free(t);
}

Test(import, hostile_input_is_refused)
{
    casescribe_transcript *t = NULL;
    cr_assert_eq(open_text(&t, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nbad \xC3\x28 byte\n"), CASESCRIBE_EPARSE);
    cr_assert_not_null(strstr(casescribe_last_error(), "not UTF-8"));
    cr_assert_eq(open_text(&t, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nover\xED\xA0\x80long\n"),
                 CASESCRIBE_EPARSE, "a surrogate is not UTF-8");
    cr_assert_eq(open_text(&t, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nbell \x07 here\n"), CASESCRIBE_EPARSE);
    cr_assert_eq(open_text(&t, "WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nbackwards\n"), CASESCRIBE_EPARSE);
    cr_assert_eq(open_text(&t, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n"
                               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"),
                 CASESCRIBE_EPARSE, "a word of more than 64 characters");
    cr_assert_eq(open_text(&t, "WEBVTT\n\n"), CASESCRIBE_EPARSE, "no words");
    cr_assert_eq(open_text(&t, "[00:00:01] Kerry: hello\n[00:00:00] Kerry: back in time\n"), CASESCRIBE_EPARSE);
    cr_assert_eq(open_text(&t, "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\nnot a time\nwords\n"), CASESCRIBE_EPARSE);
    cr_assert_eq(open_text(&t, "WEBVTT\n\n25:00:00.000 --> 25:00:01.000\nafter a day\n"), CASESCRIBE_EPARSE);
    char name[400] = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v ";
    for (int i = 0; i < 30; i++)
        strcat(name, "Someone ");
    strcat(name, ">hello\n");
    cr_assert_eq(open_text(&t, name), CASESCRIBE_EPARSE, "a speaker's name over 200 bytes (found by fuzz_transcript)");
    cr_assert_eq(open_text(&t, "WEBVTT\n\n00:01.000 --> 00:02.000\n<v.loud Jo unclosed hello there\n\n"
                               "00:03.000 --> 00:04.000\nreal words\n"),
                 CASESCRIBE_OK, "an unclosed tag is the rest of its cue, and names no speaker");
    cr_assert_eq(casescribe_transcript_segment_count(t), 1);
    cr_assert_eq(t->segments[0].speaker_words, 0);
    casescribe_transcript_free(t);
    t = NULL;
    cr_assert_null(t);
    size_t big = 5000;
    char *line = malloc(big + 64);
    cr_assert_not_null(line);
    strcpy(line, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n");
    size_t at = strlen(line);
    for (size_t i = 0; i < big; i++)
        line[at + i] = i % 10 ? 'a' : ' ';
    line[at + big] = '\0';
    cr_assert_eq(open_text(&t, line), CASESCRIBE_ETOOBIG, "a line over 4096 bytes");
    free(line);
}

Test(import, more_than_32_mib_is_refused)
{
    size_t len = (32u << 20) + 16;
    char *bytes = malloc(len);
    cr_assert_not_null(bytes);
    memset(bytes, 'a', len);
    memcpy(bytes, "WEBVTT\n\n", 8);
    casescribe_transcript *t = NULL;
    cr_assert_eq(casescribe_transcript_open(&t, (const uint8_t *)bytes, len), CASESCRIBE_ETOOBIG);
    free(bytes);
}

Test(tags, observation_tags_are_placed_at_their_time_as_the_workers_words)
{
    casescribe_transcript *t = open_fixture("teams.vtt");
    size_t len = 0;
    char *tags = slurp("tags.txt", &len);
    cr_assert_eq(cs_transcript_add_tags(t, (const uint8_t *)tags, len), CASESCRIBE_OK, "%s", casescribe_last_error());
    free(tags);
    cr_assert_eq(casescribe_transcript_segment_count(t), 8);
    cr_assert_eq(cs_transcript_tag_count(t), 3);
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 0), "arrived, front door answered by mother");
    cr_assert_eq(t->segments[0].by, CS_BY_WORKER);
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 3), "child withdrew to bedroom");
    cr_assert_eq(casescribe_transcript_segment_start_ms(t, 3), 10000);
    cr_assert_str_eq(casescribe_transcript_segment_text(t, 6), "mother tearful when talking about money");
    cr_assert_eq(t->segments[4].by, CS_BY_IMPORTED);
    char *text = NULL, *xml = NULL;
    cr_assert_eq(casescribe_transcript_render(&text, t, CASESCRIBE_TRANSCRIPT_TEXT), CASESCRIBE_OK);
    cr_assert_not_null(strstr(text, "[00:00:10] (worker's note) child withdrew to bedroom"));
    cr_assert_eq(casescribe_transcript_render(&xml, t, CASESCRIBE_TRANSCRIPT_XML), CASESCRIBE_OK);
    casescribe_transcript *back = NULL;
    cr_assert_eq(casescribe_transcript_open(&back, (const uint8_t *)xml, strlen(xml)), CASESCRIBE_OK, "%s",
                 casescribe_last_error());
    cr_assert_eq(cs_transcript_tag_count(back), 3);
    cr_assert_eq(back->segments[3].words[0].by, CS_BY_WORKER);
    casescribe_free(text);
    casescribe_free(xml);
    casescribe_transcript_free(back);
    casescribe_transcript_free(t);
}

Test(tags, a_machine_transcripts_tags_are_never_unsure)
{
    casescribe_transcript *t = NULL;
    const char *xml = "<transcript xmlns=\"urn:casescribe:transcript:1\" made-by=\"machine\" engine=\"e\" "
                      "engine-version=\"1\" model=\"m\" settings=\"\" source=\"s\" unsure-below-permille=\"600\">"
                      "<segment n=\"1\" start-ms=\"0\" end-ms=\"900\"><w start-ms=\"0\" end-ms=\"900\">hello</w>"
                      "</segment></transcript>";
    cr_assert_eq(open_text(&t, xml), CASESCRIBE_OK);
    cr_assert_eq(casescribe_transcript_word_unsure(t, 0, 0), 1, "the engine gave no confidence");
    const char *tag = "00:00:00.500 sat on the stairs\n";
    cr_assert_eq(cs_transcript_add_tags(t, (const uint8_t *)tag, strlen(tag)), CASESCRIBE_OK);
    cr_assert_eq(casescribe_transcript_segment_count(t), 2);
    cr_assert_eq(casescribe_transcript_word_unsure(t, 1, 0), 0, "the worker's own words");
    casescribe_transcript_free(t);
}

Test(tags, bad_tag_files_are_refused)
{
    casescribe_transcript *t = open_fixture("zoom.vtt");
    const char *cases[] = {"child withdrew\n", "00:12:31\n", "99:99 nonsense\n", "00:00:01 bad \xFF byte\n"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(cs_transcript_add_tags(t, (const uint8_t *)cases[i], strlen(cases[i])), CASESCRIBE_EPARSE,
                     "case %zu", i);
    char many[300 * 16];
    size_t at = 0;
    for (int i = 0; i < 201; i++)
        at += (size_t)snprintf(many + at, sizeof(many) - at, "00:00:%02d tag\n", i % 60);
    cr_assert_eq(cs_transcript_add_tags(t, (const uint8_t *)many, at), CASESCRIBE_ETOOBIG);
    casescribe_transcript_free(t);
}
