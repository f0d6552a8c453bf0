using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace StChat.Chat;

// Reading REST request bodies: JSON only, bounded in size, and every failure a problem detail naming what was wrong.
internal static class ChatRequests
{
    public const int MaxBodyBytes = 16 * 1024;

    // A route handler rather than a RequestDelegate, so that the returned IResult is written and described in OpenAPI.
    public static Delegate Handler(Func<HttpContext, Task<IResult>> handler) => handler;

    public static async Task<(T? Body, IResult? Problem)> ReadJsonAsync<T>(HttpRequest request, JsonTypeInfo<T> type)
        where T : class
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, ChatProblems.Create(StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.BadRequest, $"The body is larger than {MaxBodyBytes} bytes."));
        }

        if (!request.HasJsonContentType())
        {
            return (null, ChatProblems.Create(StatusCodes.Status415UnsupportedMediaType, ChatErrorCodes.BadRequest, "Send the body as application/json."));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, ChatProblems.Create(StatusCodes.Status413PayloadTooLarge, ChatErrorCodes.BadRequest, $"The body is larger than {MaxBodyBytes} bytes."));
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type) is { } body
                ? (body, null)
                : (null, ChatProblems.Create(StatusCodes.Status400BadRequest, ChatErrorCodes.BadJson, "Expected a JSON object, got null."));
        }
        catch (JsonException e)
        {
            return (null, ChatProblems.Create(StatusCodes.Status400BadRequest, ChatErrorCodes.BadJson, $"Expected a JSON object: {e.Message}"));
        }
    }
}
