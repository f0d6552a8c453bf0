namespace StChat.Chat;

// The codes a client can see in {"action":"error","code":...} and in the "code" of a REST problem; the README lists them.
internal static class ChatErrorCodes
{
    public const string BadJson = "bad_json";               // the frame is not a JSON object
    public const string UnknownAction = "unknown_action";   // "action" is not one the server accepts
    public const string BadRequest = "bad_request";         // valid JSON, but a field is missing or malformed
    public const string RateLimited = "rate_limited";       // over a frame, request or connection rate or cap; retry later
    public const string Unavailable = "unavailable";        // not known to be stored (maybe it was); resend the same id
    public const string IdConflict = "id_conflict";         // the id belongs to someone else's message; use unique ids
    public const string ReplayFailed = "replay_failed";     // history could not be read; reconnect with ?after=
    public const string Internal = "internal";              // an unexpected server fault; the server log has details
    public const string Unauthorized = "unauthorized";      // no session, or one that is expired, revoked or unknown
    public const string NotFound = "not_found";             // no such conversation, or one the account is not a member of
    public const string NameTaken = "name_taken";           // the account name is registered already
    public const string NotSubscribed = "not_subscribed";   // a /ws action for a conversation the socket does not follow
    public const string AlreadyMember = "already_member";   // the account is in the group already
    public const string NotMember = "not_member";           // the account to remove is not in the group
    public const string OriginNotAllowed = "origin_not_allowed"; // a WebSocket from a page whose origin is not in Chat:AllowedOrigins
}
