/** The candidate libraries bench:models measures ship no type declarations. */
declare module 'ml-logistic-regression';
declare module 'ml-xgboost';
