using Microsoft.AspNetCore.Http;

namespace StChat.Catalogue;

// REST errors as RFC 9457 problem details with a "code", the same codes as the chat API's.
internal static class CatalogueProblems
{
    public static IResult BadRequest(string detail) => Create(StatusCodes.Status400BadRequest, "bad_request", detail);

    public static IResult NotFound(string detail) => Create(StatusCodes.Status404NotFound, "not_found", detail);

    public static IResult Unavailable(string detail) => Create(StatusCodes.Status503ServiceUnavailable, "unavailable", detail);

    private static IResult Create(int status, string code, string detail) => TypedResults.Problem(
        detail: detail,
        statusCode: status,
        extensions: new Dictionary<string, object?> { ["code"] = code });
}
