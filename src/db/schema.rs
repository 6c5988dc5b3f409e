// One portable schema for both backends (see DESIGN.md, multi-backend rules).

diesel::table! {
    regions (id) {
        id -> BigInt,
        slug -> Text,
        position -> Integer,
        lat -> Double,
        lon -> Double,
    }
}

diesel::table! {
    region_names (region_id, locale) {
        region_id -> BigInt,
        locale -> Text,
        name -> Text,
        capital -> Text,
    }
}

diesel::table! {
    sections (id) {
        id -> BigInt,
        group_id -> BigInt,
        locale -> Text,
        slug -> Text,
        parent_id -> Nullable<BigInt>,
        title -> Text,
        description -> Text,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    articles (id) {
        id -> BigInt,
        group_id -> BigInt,
        locale -> Text,
        slug -> Text,
        section_id -> BigInt,
        title -> Text,
        lead -> Text,
        body_html -> Text,
        dateline -> Nullable<Text>,
        source -> Nullable<Text>,
        author -> Nullable<Text>,
        image -> Nullable<Text>,
        reading_time_minutes -> Integer,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    article_tags (article_id, tag) {
        article_id -> BigInt,
        tag -> Text,
    }
}

diesel::joinable!(region_names -> regions (region_id));
diesel::joinable!(articles -> sections (section_id));
diesel::joinable!(article_tags -> articles (article_id));

diesel::allow_tables_to_appear_in_same_query!(
    regions,
    region_names,
    sections,
    articles,
    article_tags
);

diesel::table! {
    places (id) {
        id -> BigInt,
        group_id -> BigInt,
        kind -> Text,
        locale -> Text,
        slug -> Text,
        name -> Text,
        summary -> Text,
        description_html -> Text,
        region -> Nullable<Text>,
        locality -> Nullable<Text>,
        address -> Nullable<Text>,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        geo_cell -> Nullable<Integer>,
        image -> Nullable<Text>,
        gallery -> Text,
        website -> Nullable<Text>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        category -> Nullable<Text>,
        rank_order -> Integer,
        listing_status -> Nullable<Text>,
        details -> Text,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    place_terms (place_id, term, value) {
        place_id -> BigInt,
        term -> Text,
        value -> Text,
        position -> Integer,
    }
}

diesel::joinable!(place_terms -> places (place_id));
diesel::allow_tables_to_appear_in_same_query!(places, place_terms);

diesel::table! {
    events (id) {
        id -> BigInt,
        group_id -> BigInt,
        locale -> Text,
        slug -> Text,
        title -> Text,
        summary -> Text,
        description_html -> Text,
        category -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        all_day -> Bool,
        timezone -> Text,
        venue_name -> Nullable<Text>,
        venue_address -> Nullable<Text>,
        venue_locality -> Nullable<Text>,
        region -> Nullable<Text>,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        organizer -> Nullable<Text>,
        website -> Nullable<Text>,
        price -> Nullable<Text>,
        is_free -> Bool,
        event_status -> Text,
        image -> Nullable<Text>,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    event_tags (event_id, tag) {
        event_id -> BigInt,
        tag -> Text,
    }
}

diesel::joinable!(event_tags -> events (event_id));
diesel::allow_tables_to_appear_in_same_query!(events, event_tags);

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        name -> Text,
        role -> Text,
        prefix -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    change_seq (id) {
        id -> Integer,
        seq -> BigInt,
    }
}

diesel::table! {
    changes (seq) {
        seq -> BigInt,
        resource -> Text,
        item_id -> BigInt,
        slug -> Text,
        locale -> Text,
        action -> Text,
        public -> Bool,
        at -> Timestamp,
        was_public -> Bool,
    }
}

diesel::table! {
    article_revisions (id) {
        id -> BigInt,
        article_id -> BigInt,
        number -> Integer,
        key_name -> Text,
        saved_at -> Timestamp,
        content -> Text,
    }
}

diesel::table! {
    idempotency_keys (api_key_id, idem_key) {
        api_key_id -> BigInt,
        idem_key -> Text,
        fingerprint -> Text,
        status -> Integer,
        location -> Nullable<Text>,
        etag -> Nullable<Text>,
        content_language -> Nullable<Text>,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scheduled_changes (resource, item_id) {
        resource -> Text,
        item_id -> BigInt,
        slug -> Text,
        locale -> Text,
        due_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        secret -> Text,
        events -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    media (id) {
        id -> BigInt,
        file_name -> Text,
        mime -> Text,
        width -> Integer,
        height -> Integer,
        bytes -> BigInt,
        alt -> Text,
        caption -> Nullable<Text>,
        credit -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event -> Text,
        resource -> Text,
        item_id -> BigInt,
        seq -> BigInt,
        payload -> Text,
        attempts -> Integer,
        status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        next_attempt_at -> Nullable<Timestamp>,
        claimed_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhooks, webhook_deliveries);

diesel::table! {
    media_variants (media_id, file_name) {
        media_id -> BigInt,
        file_name -> Text,
        mime -> Text,
        width -> Integer,
        height -> Integer,
        bytes -> BigInt,
    }
}

diesel::table! {
    media_usage (media_id, resource, item_id) {
        media_id -> BigInt,
        resource -> Text,
        item_id -> BigInt,
        slug -> Text,
    }
}

diesel::joinable!(media_variants -> media (media_id));
diesel::joinable!(media_usage -> media (media_id));
diesel::allow_tables_to_appear_in_same_query!(media, media_variants, media_usage);
