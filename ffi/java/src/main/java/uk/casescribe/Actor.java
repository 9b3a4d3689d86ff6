// SPDX-License-Identifier: Apache-2.0
package uk.casescribe;

import java.util.Objects;

/**
 * Who is saving: the person's id in the host system (required), the team the
 * save is made for (null: the form's team) and their role (null: "unspecified").
 */
public record Actor(String userId, String team, String role) {
    public Actor {
        Objects.requireNonNull(userId, "userId");
    }

    public static Actor of(String userId, String role) {
        return new Actor(userId, null, role);
    }

    /** The casescribe_actor struct for one call; it keeps its strings alive as long as it lives. */
    CaseScribeLibrary.ActorStruct toStruct() throws CaseScribeException {
        CaseScribeLibrary.ActorStruct s = new CaseScribeLibrary.ActorStruct();
        CaseScribe.check(CaseScribe.C.casescribe_actor_init(s, s.size()));
        s.user_id = userId;
        s.team = team;
        s.role = role;
        return s;
    }
}
