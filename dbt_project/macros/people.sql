{#-
    People and bots, shared by every model that names a person.

    An *identity* is what one record says about a person: the GitHub user id, login, e-mail address and
    name it carries (a commit author, an issue or comment author, a reviewer). `identity_key` keys it;
    silver's dim_contributor_identities maps every identity to a person (contributor_id), keyed by the
    GitHub user id wherever one is known.
-#}

{#- a stable key of an identity (null when the record names nobody) -#}
{% macro identity_key(user_id, login, email, name) -%}
    case
        when coalesce(
            cast({{ user_id }} as varchar), nullif(trim({{ login }}), ''),
            nullif(trim({{ email }}), ''), nullif(trim({{ name }}), '')
        ) is not null
            then lower(to_hex(xxhash64(to_utf8(
                coalesce(cast({{ user_id }} as varchar), '') || '|' || coalesce(lower(trim({{ login }})), '')
                || '|' || coalesce(lower(trim({{ email }})), '') || '|' || coalesce(lower(trim({{ name }})), '')
            ))))
    end
{%- endmacro %}

{#- the user id in a GitHub noreply address (`12345+alice@users.noreply.github.com` -> 12345) -#}
{% macro noreply_user_id(email) -%}
    cast(regexp_extract(lower(trim({{ email }})), '^([0-9]+)\+[^@]+@users\.noreply\.github\.com$', 1) as bigint)
{%- endmacro %}

{#- the login in a GitHub noreply address (with or without the id prefix) -#}
{% macro noreply_login(email) -%}
    regexp_extract(lower(trim({{ email }})), '^(?:[0-9]+\+)?([^@+]+)@users\.noreply\.github\.com$', 1)
{%- endmacro %}

{#- lower-cased, trimmed values of a list var plus, for logins, OSSPULSE_BOT_LOGINS (comma-separated) -#}
{% macro bot_list(kind) -%}
    {%- set values = [] -%}
    {%- for value in var('known_bot_' ~ kind, []) -%}
        {%- do values.append(value | trim | lower) -%}
    {%- endfor -%}
    {%- if kind == 'logins' -%}
        {%- set extra = var('bot_logins', env_var('OSSPULSE_BOT_LOGINS', '')) -%}
        {%- for value in (extra.split(',') if extra is string else extra) if value | trim -%}
            {%- do values.append(value | trim | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(values | unique | list) }}
{%- endmacro %}

{% macro _in_list(expression, values) -%}
    {%- if values -%}
        lower(trim({{ expression }})) in (
            {%- for value in values -%}
                '{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}
            {%- endfor -%}
        )
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#-
    The bot rule, for one record's identity: GitHub says the account is a Bot, or the login (also the
    login of a noreply address) ends in `[bot]` (GitHub Apps: dependabot[bot], github-actions[bot]),
    or the login, e-mail address or name is one of the known automation accounts (vars
    known_bot_logins / known_bot_emails / known_bot_names, and OSSPULSE_BOT_LOGINS), e.g. GitHub
    Actions' `GitHub Action <action@github.com>`. A person is a bot when any of their identities is.
-#}
{% macro is_bot(login, user_type='null', email='null', name='null') -%}
    coalesce(
        lower({{ user_type }}) = 'bot'
        or lower(trim({{ login }})) like '%[bot]'
        or {{ noreply_login(email) }} like '%[bot]'
        or {{ _in_list(login, bot_list('logins')) }}
        or {{ _in_list(noreply_login(email), bot_list('logins')) }}
        or {{ _in_list(email, bot_list('emails')) }}
        or {{ _in_list(name, bot_list('names')) }},
        false
    )
{%- endmacro %}
