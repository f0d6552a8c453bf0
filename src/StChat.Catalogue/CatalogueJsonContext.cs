using System.Text.Json.Serialization;

namespace StChat.Catalogue;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(SportsResponse))]
internal sealed partial class CatalogueJsonContext : JsonSerializerContext;
