using Microsoft.AspNetCore.Http;

namespace StChat.Chat;

// REST errors as RFC 9457 problem details (application/problem+json) whose "code" is one of ChatErrorCodes, the same
// codes the WebSocket sends in its error frames.
internal static class ChatProblems
{
    public static IResult Create(int status, string code, string detail) => TypedResults.Problem(
        detail: detail,
        statusCode: status,
        extensions: new Dictionary<string, object?> { ["code"] = code });

    public static IResult BadRequest(string detail) => Create(StatusCodes.Status400BadRequest, ChatErrorCodes.BadRequest, detail);

    public static IResult Unauthorized(string detail = "Sign in first: send Authorization: Bearer <token> from POST /api/sessions.") =>
        Create(StatusCodes.Status401Unauthorized, ChatErrorCodes.Unauthorized, detail);

    // The same answer whether the conversation does not exist or the account is not a member.
    public static IResult NotFound() => Create(StatusCodes.Status404NotFound, ChatErrorCodes.NotFound, "No such conversation.");

    public static IResult Unavailable(string detail) => Create(StatusCodes.Status503ServiceUnavailable, ChatErrorCodes.Unavailable, detail);
}
