// The wx / App / Page / Component globals come from miniprogram-api-typings (tsconfig "types").
interface IAppOption {
  globalData: Record<string, never>
}
